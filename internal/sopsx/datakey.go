package sopsx

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"

	fage "filippo.io/age"
	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/keys"
	"github.com/getsops/sops/v3/keyservice"
	"github.com/getsops/sops/v3/pgp"
	"github.com/getsops/sops/v3/shamir"
)

// ErrNoKey is wrapped by the errors of decryption when no key at hand can open the data key
// (none configured, or none matching the recipients).
var ErrNoKey = errors.New("no key to decrypt")

// ErrWrongKey is wrapped when keys are at hand but none of them is a recipient.
var ErrWrongKey = errors.New("wrong key")

// ErrTampered is wrapped when a value or the MAC does not authenticate.
var ErrTampered = errors.New("the encrypted data was modified")

// decryptionOrder is the order in which key types are tried, as the sops CLI's default
// (age and PGP first, so that cloud key services are reached only when needed).
var decryptionOrder = map[string]int{age.KeyTypeIdentifier: 0, pgp.KeyTypeIdentifier: 1}

// dataKey recovers the data key of sops metadata through the local key service, combining
// Shamir shares when there are several key groups. Its errors say which recipients were
// tried and what to set, never more.
func dataKey(m *sops.Metadata) ([]byte, error) {
	if len(m.KeyGroups) == 0 {
		return nil, fmt.Errorf("the sops metadata lists no key")
	}
	var parts [][]byte
	var failures []keyFailure
	for _, group := range m.KeyGroups {
		part, fails := decryptGroup(group)
		if part != nil {
			parts = append(parts, part)
		}
		failures = append(failures, fails...)
	}
	if len(m.KeyGroups) == 1 {
		if len(parts) == 1 {
			return parts[0], nil
		}
		return nil, keyError(failures, 1, 0)
	}
	threshold := m.ShamirThreshold
	if threshold <= 0 {
		threshold = len(m.KeyGroups)
	}
	if len(parts) < threshold {
		return nil, keyError(failures, threshold, len(parts))
	}
	key, err := shamir.Combine(parts)
	if err != nil {
		return nil, fmt.Errorf("%w: combining the Shamir shares of the data key failed", ErrTampered)
	}
	return key, nil
}

// keyAllowed limits the keys decryption may use; nil allows every key.
var keyAllowed atomic.Pointer[func(Recipient) bool]

// AllowKeys limits, for the whole process, the keys that decryption may use to those that
// allow accepts. pullgen render calls it before decrypting anything, so that an untrusted
// repository cannot make it send a Vault token or Azure credentials to an address written
// in a file's sops metadata.
func AllowKeys(allow func(Recipient) bool) {
	keyAllowed.Store(&allow)
}

// errKeyRefused is the failure of a key that AllowKeys refuses.
var errKeyRefused = errors.New("refused: this key's address is not one the operator allowed")

type keyFailure struct {
	key keys.MasterKey
	err error
}

func decryptGroup(group sops.KeyGroup) ([]byte, []keyFailure) {
	idx := make([]int, len(group))
	for i := range idx {
		idx[i] = i
	}
	rank := func(k keys.MasterKey) int {
		if r, ok := decryptionOrder[k.TypeToIdentifier()]; ok {
			return r
		}
		return len(decryptionOrder)
	}
	sort.SliceStable(idx, func(a, b int) bool { return rank(group[idx[a]]) < rank(group[idx[b]]) })
	var fails []keyFailure
	allow := keyAllowed.Load()
	for _, i := range idx {
		k := group[i]
		if allow != nil {
			if r, err := recipientOf(k); err != nil || !(*allow)(r) {
				fails = append(fails, keyFailure{key: k, err: errKeyRefused})
				continue
			}
		}
		svcKey := keyservice.KeyFromMasterKey(k)
		rsp, err := localKeys.Decrypt(context.Background(), &keyservice.DecryptRequest{
			Key:        &svcKey,
			Ciphertext: k.EncryptedDataKey(),
		})
		if err == nil && rsp != nil && len(rsp.Plaintext) > 0 {
			return rsp.Plaintext, nil
		}
		if err == nil {
			err = errors.New("empty data key")
		}
		fails = append(fails, keyFailure{key: k, err: err})
	}
	return nil, fails
}

// keyError explains why no data key could be recovered. With age, it tells apart "no
// identity at hand" from "identities at hand, none a recipient", and passes on why the
// identities sops looked for could not be loaded (file names, never key material).
func keyError(fails []keyFailure, need, got int) error {
	var recipients, types, loadErrs []string
	wrongAge := false
	for _, f := range fails {
		typ := f.key.TypeToIdentifier()
		recipients = append(recipients, typ+" "+shortKey(f.key.ToString()))
		if errors.Is(f.err, errKeyRefused) {
			types = append(types, "refused")
			continue
		}
		types = append(types, typ)
		if typ == age.KeyTypeIdentifier {
			var nomatch *fage.NoIdentityMatchError
			if errors.As(f.err, &nomatch) {
				wrongAge = true
			}
			msg := f.err.Error()
			if i := strings.Index(msg, "Errors while loading age identities: "); i >= 0 {
				detail := msg[i+len("Errors while loading age identities: "):]
				if j := strings.Index(detail, ". Did not find keys"); j >= 0 {
					detail = detail[:j]
				}
				loadErrs = append(loadErrs, detail)
			}
		}
	}
	var hints []string
	for _, typ := range uniq(types) {
		switch typ {
		case age.KeyTypeIdentifier:
			hints = append(hints, "set SOPS_AGE_KEY_FILE (or SOPS_AGE_KEY, SOPS_AGE_SSH_PRIVATE_KEY_FILE) to the age identity of a recipient")
		case pgp.KeyTypeIdentifier:
			hints = append(hints, "import the secret key of a PGP recipient into gpg (GNUPGHOME)")
		case "refused":
			hints = append(hints, "allow the address of a Vault or Azure Key Vault key with --allow-key-host (render contacts no other key service)")
		default:
			hints = append(hints, "provide credentials for "+typ)
		}
	}
	detail := ""
	if need > 1 {
		detail += fmt.Sprintf(" (%d of the %d Shamir shares needed were recovered)", got, need)
	}
	if len(loadErrs) > 0 {
		detail += " (loading age identities: " + shortKey(strings.Join(uniq(loadErrs), "; ")) + ")"
	}
	if wrongAge {
		return fmt.Errorf("%w: the age identities at hand match none of the recipients [%s]%s; %s", ErrWrongKey, strings.Join(uniq(recipients), ", "), detail, strings.Join(hints, ", or "))
	}
	return fmt.Errorf("%w: none of the recipients [%s] has its key at hand%s; %s", ErrNoKey, strings.Join(uniq(recipients), ", "), detail, strings.Join(hints, ", or "))
}

func shortKey(s string) string {
	if len(s) > 200 {
		return s[:197] + "..."
	}
	return s
}

func uniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
