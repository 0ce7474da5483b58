package sopsx

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

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
func (k Keys) dataKey(m *sops.Metadata) ([]byte, error) {
	if len(m.KeyGroups) == 0 {
		return nil, fmt.Errorf("the sops metadata lists no key")
	}
	var parts [][]byte
	var failures []keyFailure
	for _, group := range m.KeyGroups {
		part, fails := k.decryptGroup(group)
		if part != nil {
			parts = append(parts, part)
		}
		failures = append(failures, fails...)
	}
	if len(m.KeyGroups) == 1 {
		if len(parts) == 1 {
			return parts[0], nil
		}
		return nil, k.keyError(failures, 1, 0)
	}
	threshold := m.ShamirThreshold
	if threshold <= 0 {
		threshold = len(m.KeyGroups)
	}
	if len(parts) < threshold {
		return nil, k.keyError(failures, threshold, len(parts))
	}
	key, err := shamir.Combine(parts)
	if err != nil {
		return nil, fmt.Errorf("%w: combining the Shamir shares of the data key failed", ErrTampered)
	}
	return key, nil
}

type keyFailure struct {
	key keys.MasterKey
	err error
}

func (ks Keys) decryptGroup(group sops.KeyGroup) ([]byte, []keyFailure) {
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
	op := ks.operator
	for _, i := range idx {
		k := group[i]
		var plain []byte
		var err error
		if op != nil {
			plain, err = op.decrypt(k)
		} else {
			svcKey := keyservice.KeyFromMasterKey(k)
			var rsp *keyservice.DecryptResponse
			rsp, err = localKeys.Decrypt(context.Background(), &keyservice.DecryptRequest{
				Key:        &svcKey,
				Ciphertext: k.EncryptedDataKey(),
			})
			if rsp != nil {
				plain = rsp.Plaintext
			}
		}
		if err == nil && len(plain) > 0 {
			return plain, nil
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
// identities configured could not be loaded (file names, never key material); keys the
// operator's policy refuses say why.
func (ks Keys) keyError(fails []keyFailure, need, got int) error {
	op := ks.operator
	var recipients, hints, loadErrs, refused []string
	wrongAge := false
	for _, f := range fails {
		typ := f.key.TypeToIdentifier()
		recipients = append(recipients, typ+" "+shortKey(f.key.ToString()))
		var r *refusal
		if g := gateRefusal(f.err); g != nil {
			f.err = g
		}
		if errors.As(f.err, &r) {
			refused = append(refused, r.why)
			hints = append(hints, r.hint)
			continue
		}
		switch typ {
		case age.KeyTypeIdentifier:
			hints = append(hints, "set SOPS_AGE_KEY_FILE (or SOPS_AGE_KEY, SOPS_AGE_SSH_PRIVATE_KEY_FILE) to the age identity of a recipient")
			var nomatch *fage.NoIdentityMatchError
			if errors.As(f.err, &nomatch) {
				wrongAge = true
			}
			msg := f.err.Error()
			if op != nil {
				loadErrs = append(loadErrs, op.AgeProblems...)
			} else if i := strings.Index(msg, "Errors while loading age identities: "); i >= 0 {
				detail := msg[i+len("Errors while loading age identities: "):]
				if j := strings.Index(detail, ". Did not find keys"); j >= 0 {
					detail = detail[:j]
				}
				loadErrs = append(loadErrs, detail)
			}
		case pgp.KeyTypeIdentifier:
			if op != nil {
				hints = append(hints, "give the private key of a PGP recipient with pullgen render --pgp-key-file")
			} else {
				hints = append(hints, "import the secret key of a PGP recipient into gpg (GNUPGHOME)")
			}
		default:
			hints = append(hints, "provide credentials for "+typ)
		}
	}
	detail := ""
	if len(refused) > 0 {
		detail += " (" + strings.Join(uniq(refused), "; ") + ")"
	}
	if need > 1 {
		detail += fmt.Sprintf(" (%d of the %d Shamir shares needed were recovered)", got, need)
	}
	if len(loadErrs) > 0 {
		detail += " (loading age identities: " + shortKey(strings.Join(uniq(loadErrs), "; ")) + ")"
	}
	if wrongAge {
		return fmt.Errorf("%w: the age identities at hand match none of the recipients [%s]%s; %s", ErrWrongKey, strings.Join(uniq(recipients), ", "), detail, strings.Join(uniq(hints), ", or "))
	}
	return fmt.Errorf("%w: none of the recipients [%s] has its key at hand%s; %s", ErrNoKey, strings.Join(uniq(recipients), ", "), detail, strings.Join(uniq(hints), ", or "))
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
