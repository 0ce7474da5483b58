package sopsx

import (
	"fmt"
	"sync"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// TestConcurrentEncryptAndDecrypt encrypts and decrypts from several goroutines at once,
// as pullgen does on every core; run with -race it shows the package shares no state
// unsafely, and each object still decrypts to its own plaintext.
func TestConcurrentEncryptAndDecrypt(t *testing.T) {
	key := newAgeKey(t, t.TempDir(), "k")
	t.Setenv("SOPS_AGE_KEY_FILE", key.file)
	rules := Rules{Age: []string{key.recipient}}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			obj := yaml.MustParse(fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata: {name: s%d}\ndata: {x: dmFsdWUtJWQ=}\n", i))
			enc, _, err := Encrypt(obj, rules, nil)
			if err != nil {
				t.Error(err)
				return
			}
			plain, err := DefaultKeys().Decrypt(enc)
			if err != nil {
				t.Error(err)
				return
			}
			if plain.GetName() != fmt.Sprintf("s%d", i) || plain.GetDataMap()["x"] != "dmFsdWUtJWQ=" {
				t.Errorf("object %d decrypted to %s", i, plain.MustString())
			}
		}(i)
	}
	wg.Wait()
}
