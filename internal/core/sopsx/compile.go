package sopsx

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/keys"
	"github.com/getsops/sops/v3/kms"

	"pullgen.dev/pullgen/schema/v1alpha1"
)

// compiled is Rules made ready to encrypt many objects: recipients parsed once, selectors
// checked, and a signature to compare with the metadata of an earlier encryption.
type compiled struct {
	groups     []sops.KeyGroup // templates, never given a data key
	threshold  int             // Shamir threshold as sops writes it (0 with one group)
	encRegex   string
	unencRegex string
	macOnly    bool
	signature  string
	selector   *regexp.Regexp // encRegex, or unencRegex when that is the one set
}

// compiledCache maps a Rules fingerprint to its *compiled; a handful of entries at most.
var (
	compiledCache     sync.Map
	compiledCacheSize int
	compiledCacheMu   sync.Mutex
)

const maxCompiledCache = 64

// fieldsKubernetesNeeds are the top-level fields of an object that must stay in clear.
var fieldsKubernetesNeeds = []string{"apiVersion", "kind", "metadata"}

// compile checks rules and parses their recipients, or returns the cached result.
func compile(r Rules) (*compiled, error) {
	fp := fmt.Sprintf("%#v", r)
	if c, ok := compiledCache.Load(fp); ok {
		return c.(*compiled), nil
	}
	c, err := compileUncached(r)
	if err != nil {
		return nil, err
	}
	compiledCacheMu.Lock()
	if compiledCacheSize < maxCompiledCache {
		if _, loaded := compiledCache.LoadOrStore(fp, c); !loaded {
			compiledCacheSize++
		}
	}
	compiledCacheMu.Unlock()
	return c, nil
}

func compileUncached(r Rules) (*compiled, error) {
	groups, err := MasterKeys(r)
	if err != nil {
		return nil, err
	}
	c := &compiled{groups: groups, macOnly: r.MACOnlyEncrypted}
	if len(groups) > 1 {
		c.threshold = r.ShamirThreshold
		if c.threshold == 0 {
			c.threshold = len(groups)
		}
	}
	switch {
	case r.EncryptedRegex != "":
		c.encRegex = r.EncryptedRegex
	case r.UnencryptedRegex != "":
		c.unencRegex = r.UnencryptedRegex
	default:
		c.encRegex = v1alpha1.DefaultEncryptedRegex
	}
	if c.encRegex != "" {
		re, err := regexp.Compile(c.encRegex)
		if err != nil {
			return nil, fmt.Errorf("sops rules: encrypted_regex %q: %w", c.encRegex, err)
		}
		c.selector = re
		for _, f := range fieldsKubernetesNeeds {
			if re.MatchString(f) {
				return nil, fmt.Errorf("sops rules: encrypted_regex %q matches %s, which must stay in clear (use %s)", c.encRegex, f, v1alpha1.DefaultEncryptedRegex)
			}
		}
	} else {
		re, err := regexp.Compile(c.unencRegex)
		if err != nil {
			return nil, fmt.Errorf("sops rules: unencrypted_regex %q: %w", c.unencRegex, err)
		}
		c.selector = re
		for _, f := range fieldsKubernetesNeeds {
			if !re.MatchString(f) {
				return nil, fmt.Errorf("sops rules: unencrypted_regex %q does not match %s, which must stay in clear (use encrypted_regex: %s)", c.unencRegex, f, v1alpha1.DefaultEncryptedRegex)
			}
		}
	}
	c.signature = groupsSignature(groups, c.threshold)
	return c, nil
}

// metadata returns fresh sops metadata for one encryption: copies of the template keys,
// the selectors and the library's version. The keys get their data key later.
func (c *compiled) metadata(now time.Time) sops.Metadata {
	groups := make([]sops.KeyGroup, len(c.groups))
	for i, g := range c.groups {
		groups[i] = make(sops.KeyGroup, len(g))
		for j, k := range g {
			groups[i][j] = cloneKey(k, now)
		}
	}
	return sops.Metadata{
		KeyGroups:        groups,
		ShamirThreshold:  c.threshold,
		EncryptedRegex:   c.encRegex,
		UnencryptedRegex: c.unencRegex,
		MACOnlyEncrypted: c.macOnly,
		Version:          Version(),
	}
}

// sameSettings tells whether metadata read from an earlier encryption has the recipients
// and selectors of these rules, so that its data key may be reused.
func (c *compiled) sameSettings(m sops.Metadata) bool {
	threshold := m.ShamirThreshold
	if len(m.KeyGroups) > 1 && threshold == 0 {
		threshold = len(m.KeyGroups)
	}
	if len(m.KeyGroups) <= 1 {
		threshold = 0
	}
	return m.EncryptedRegex == c.encRegex &&
		m.UnencryptedRegex == c.unencRegex &&
		m.EncryptedSuffix == "" && m.UnencryptedSuffix == "" &&
		m.EncryptedCommentRegex == "" && m.UnencryptedCommentRegex == "" &&
		m.MACOnlyEncrypted == c.macOnly &&
		groupsSignature(m.KeyGroups, threshold) == c.signature
}

// groupsSignature describes key groups canonically (order of keys within a group ignored).
func groupsSignature(groups []sops.KeyGroup, threshold int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "threshold=%d", threshold)
	for _, g := range groups {
		ids := make([]string, 0, len(g))
		for _, k := range g {
			ids = append(ids, keyID(k))
		}
		sort.Strings(ids)
		b.WriteString("\ngroup:")
		b.WriteString(strings.Join(ids, ","))
	}
	return b.String()
}

// keyID identifies a master key by what decides who can decrypt.
func keyID(k keys.MasterKey) string {
	id := k.TypeToIdentifier() + "=" + k.ToString()
	if k, ok := k.(*kms.MasterKey); ok && k.AwsProfile != "" {
		id += "|profile=" + k.AwsProfile
	}
	return id
}
