package credsource

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"pullgen.dev/pullgen/schema/v1alpha1"
)

// helperScripts are docker-credential-<name> programs speaking the helper protocol.
var helperScripts = map[string]string{
	// good answers for the servers it knows, after checking its argument and that the
	// server URL arrived on stdin, newline-terminated.
	"good": `[ "$1" = get ] || { echo "want argument get, got $1" >&2; exit 2; }
if ! IFS= read -r url; then echo "server URL not newline-terminated" >&2; exit 3; fi
case "$url" in
quay.io|gcr.io|https://index.docker.io/v1/|registry.example.com:5000)
  printf '{"ServerURL":"%s","Username":"robot","Secret":"` + secret + `"}\n' "$url" ;;
*)
  echo "credentials not found in native keychain" >&2; exit 1 ;;
esac`,
	"notfound": `cat >/dev/null
echo "stdout may hold ` + secret + `"
echo "credentials not found in native keychain" >&2
echo "second line" >&2
exit 1`,
	// docker-credential-helpers print their errors on stdout.
	"stdoutmsg":    `cat >/dev/null; echo "credentials not found in native keychain"; exit 1`,
	"stdoutsecret": `cat >/dev/null; echo "` + secret + `"; exit 1`,
	"slow":         `cat >/dev/null; sleep 5; echo '{"Username":"late","Secret":"x"}'`,
	"token":        `cat >/dev/null; echo '{"ServerURL":"quay.io","Username":"<token>","Secret":"` + secret + `"}'`,
	"garbage":      `cat >/dev/null; echo 'not json ` + secret + `'`,
	"nosecret":     `cat >/dev/null; echo '{"ServerURL":"quay.io","Username":"robot","Secret":""}'`,
}

// helperDir writes the helper scripts into a temporary directory.
func helperDir(t *testing.T) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("shell-script credential helpers need a POSIX shell")
	}
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh:", err)
	}
	dir := t.TempDir()
	for name, body := range helperScripts {
		p := filepath.Join(dir, helperPrefix+name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// lookIn finds programs in dir only, like exec.LookPath with PATH=dir.
func lookIn(dir string) func(string) (string, error) {
	return func(file string) (string, error) {
		p := filepath.Join(dir, file)
		if fi, err := os.Stat(p); err != nil || fi.Mode()&0o111 == 0 {
			return "", &exec.Error{Name: file, Err: exec.ErrNotFound}
		}
		return p, nil
	}
}

func TestFromConfigHelpers(t *testing.T) {
	bin := helperDir(t)
	dir := writeFiles(t, map[string]string{
		// docker with a credsStore: {} entries, one auth entry, a credHelpers entry.
		"store.json": `{"auths": {"quay.io": {"email": "ops@acme.io"}, "ghcr.io": {"auth": "` + b64("gh:"+secret) + `"}},
			"credsStore": "good", "credHelpers": {"registry.example.com:5000": "good"}}`,
		// credHelpers wins over an auths entry, as in docker.
		"precedence.json": `{"auths": {"gcr.io": {"auth": "` + b64("file:"+secret) + `"}}, "credHelpers": {"gcr.io": "good"}}`,
		"notfound.json":   `{"auths": {}, "credHelpers": {"ecr.example.com": "notfound"}}`,
		"stdoutmsg.json":  `{"auths": {}, "credHelpers": {"ecr.example.com": "stdoutmsg"}}`,
		"stdoutsec.json":  `{"auths": {}, "credHelpers": {"ecr.example.com": "stdoutsecret"}}`,
		"unknown.json":    `{"auths": {"nvcr.io": {}}, "credsStore": "good"}`,
		"slow.json":       `{"auths": {"quay.io": {}}, "credsStore": "slow"}`,
		"token.json":      `{"auths": {"quay.io": {}}, "credsStore": "token"}`,
		"garbage.json":    `{"auths": {"quay.io": {}}, "credsStore": "garbage"}`,
		"nosecret.json":   `{"auths": {"quay.io": {}}, "credsStore": "nosecret"}`,
		"missing.json":    `{"auths": {"quay.io": {}}, "credsStore": "missing"}`,
		"badname.json":    `{"auths": {"quay.io": {}}, "credsStore": "../../bin/sh"}`,
	})
	r := &Resolver{BaseDir: dir, AllowHelpers: true, LookPath: lookIn(bin), HelperTimeout: 200 * time.Millisecond}

	t.Run("ok", func(t *testing.T) {
		tests := []struct {
			name string
			fc   v1alpha1.FromConfig
			want []Entry
		}{
			{"store, credHelpers and auth entries", v1alpha1.FromConfig{File: "store.json", CredentialHelpers: true}, []Entry{
				{Key: "ghcr.io", Username: "gh", Password: secret},
				{Key: "quay.io", Username: "robot", Password: secret, Email: "ops@acme.io"},
				{Key: "registry.example.com:5000", Username: "robot", Password: secret},
			}},
			{"filter", v1alpha1.FromConfig{File: "store.json", CredentialHelpers: true, Registries: []string{"https://quay.io/"}}, []Entry{
				{Key: "quay.io", Username: "robot", Password: secret, Email: "ops@acme.io"},
			}},
			{"store asked for a filter key not in auths, Docker Hub as docker stores it", v1alpha1.FromConfig{File: "store.json", CredentialHelpers: true, Registries: []string{"docker.io"}}, []Entry{
				{Key: "https://index.docker.io/v1/", Username: "robot", Password: secret},
			}},
			{"credHelpers before auths", v1alpha1.FromConfig{File: "precedence.json", CredentialHelpers: true}, []Entry{
				{Key: "gcr.io", Username: "robot", Password: secret},
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := r.FromConfig(tt.fc)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("got  %+v\nwant %+v", got, tt.want)
				}
			})
		}
	})

	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			name string
			file string
			want []string
		}{
			{"helper fails: stderr first line", "notfound.json", []string{"notfound.json", "ecr.example.com", "docker-credential-notfound", "exit status 1", "credentials not found in native keychain"}},
			{"helper fails: known message on stdout", "stdoutmsg.json", []string{"docker-credential-stdoutmsg", "credentials not found in native keychain"}},
			{"helper fails: other stdout never shown", "stdoutsec.json", []string{"docker-credential-stdoutsecret", "no message on stderr"}},
			{"store does not know the registry", "unknown.json", []string{"nvcr.io", "docker-credential-good", "credentials not found in native keychain"}},
			{"identity token from helper", "token.json", []string{"token.json", "quay.io", "docker-credential-token", "<token>", "identity token cannot be used by the kubelet"}},
			{"answer not JSON", "garbage.json", []string{"docker-credential-garbage", "not the credential-helper JSON"}},
			{"empty secret", "nosecret.json", []string{"docker-credential-nosecret", "empty secret"}},
			{"missing helper", "missing.json", []string{"missing.json", "quay.io", "docker-credential-missing", "not found", "PATH"}},
			{"helper name with a path", "badname.json", []string{"badname.json", "not a plain name"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := r.FromConfig(v1alpha1.FromConfig{File: tt.file, CredentialHelpers: true})
				checkErr(t, err, tt.want...)
				if strings.Contains(err.Error(), "second line") || strings.Contains(err.Error(), "stdout may hold") {
					t.Errorf("error %q carries more than the helper's first stderr line", err)
				}
				if got != nil {
					t.Errorf("entries returned with an error")
				}
			})
		}
	})

	t.Run("time limit", func(t *testing.T) {
		start := time.Now()
		_, err := r.FromConfig(v1alpha1.FromConfig{File: "slow.json", CredentialHelpers: true})
		elapsed := time.Since(start)
		checkErr(t, err, "slow.json", "quay.io", "docker-credential-slow", "no answer within 200ms")
		if elapsed > 2*time.Second {
			t.Errorf("the slow helper ran %s; the 200ms limit did not stop it", elapsed)
		}
	})

	t.Run("keys only: the store is never asked", func(t *testing.T) {
		keys := *r
		keys.KeysOnly = true
		keys.LookPath = func(file string) (string, error) {
			t.Errorf("KeysOnly looked up %s to run it", file)
			return "", exec.ErrNotFound
		}
		got, err := keys.FromConfig(v1alpha1.FromConfig{File: "store.json", CredentialHelpers: true})
		if err != nil {
			t.Fatal(err)
		}
		var gotKeys []string
		for _, e := range got {
			gotKeys = append(gotKeys, e.Key)
			if e.Key != "ghcr.io" && e.Password == secret { // ghcr.io's credential is in the file itself
				t.Errorf("%s: a credential asked of the store in KeysOnly", e.Key)
			}
		}
		if want := []string{"ghcr.io", "quay.io", "registry.example.com:5000"}; !reflect.DeepEqual(gotKeys, want) {
			t.Errorf("keys %v, want %v", gotKeys, want)
		}
	})

	t.Run("not run without AllowHelpers", func(t *testing.T) {
		sandbox := *r
		sandbox.AllowHelpers = false
		_, err := sandbox.FromConfig(v1alpha1.FromConfig{File: "slow.json", CredentialHelpers: true})
		checkErr(t, err, "not run here")
	})
}

// TestHelperDefaultLookPath runs a helper found through the real PATH lookup.
func TestHelperDefaultLookPath(t *testing.T) {
	bin := helperDir(t)
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	dir := writeFiles(t, map[string]string{
		"config.json":  `{"auths": {"quay.io": {}}, "credsStore": "good"}`,
		"missing.json": `{"auths": {"quay.io": {}}, "credsStore": "missing"}`,
	})
	r := &Resolver{BaseDir: dir, AllowHelpers: true}
	got, err := r.FromConfig(v1alpha1.FromConfig{File: "config.json", CredentialHelpers: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := []Entry{{Key: "quay.io", Username: "robot", Password: secret}}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	_, err = r.FromConfig(v1alpha1.FromConfig{File: "missing.json", CredentialHelpers: true})
	checkErr(t, err, "docker-credential-missing", "not found", "PATH")
}
