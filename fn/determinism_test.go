package fn

import (
	"bytes"
	"math/rand"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// TestOutputIndependentOfOrder runs the same PullAccess with its lists and the input items
// shuffled: the generated objects come out with the same bytes every time.
func TestOutputIndependentOfOrder(t *testing.T) {
	namespaces := []string{"team-a", "team-b", "team-c", "team-d"}
	registries := []string{
		"- {server: quay.io/acme, username: a, passwordFrom: {env: T}}",
		"- {server: registry.acme.io:5000, aliases: [mirror.acme.io], username: b, passwordFrom: {env: T}}",
		"- {server: docker.io, username: c, passwordFrom: {env: T}}",
	}
	sas := []string{"default", "builder", "deployer"}
	pullers := []string{
		"- {namespace: images, serviceAccounts: [{namespace: team-a, name: default}, {namespace: team-b, name: x}]}",
		"- {namespace: images, namespaces: [team-c, team-a]}",
		"- {namespace: base, namespaces: [team-d]}",
	}
	items := []string{
		"apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: team-a}\nimagePullSecrets: [{name: keep}]\n",
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: team-b}\nspec: {template: {spec: {containers: [{name: w, image: quay.io/acme/w}]}}}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: team-c}\n",
	}
	rng := rand.New(rand.NewSource(1))
	var first []byte
	for round := 0; round < 20; round++ {
		shuffle := func(s []string) []string {
			out := append([]string(nil), s...)
			rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
			return out
		}
		spec := "apiVersion: pullgen.dev/v1alpha1\nkind: PullAccess\nmetadata: {name: acme}\nspec:\n" +
			"  namespaces: [" + strings.Join(shuffle(namespaces), ", ") + "]\n" +
			"  registries:\n  " + strings.Join(shuffle(registries), "\n  ") + "\n" +
			"  serviceAccounts: [" + strings.Join(shuffle(sas), ", ") + "]\n" +
			"  workloads: {}\n" +
			"  imagePullers:\n  " + strings.Join(shuffle(pullers), "\n  ") + "\n" +
			"  output: {encrypt: false}\n"
		in, err := (&kio.ByteReader{Reader: strings.NewReader(strings.Join(shuffle(items), "---\n")), OmitReaderAnnotations: true}).Read()
		if err != nil {
			t.Fatal(err)
		}
		out, results := Run(yaml.MustParse(spec), in, Options{Sources: Sources{
			LookupEnv: func(string) (string, bool) { return "tok", true },
		}})
		if results.ExitCode() != 0 {
			t.Fatalf("round %d: %v", round, results)
		}
		// Input items keep their (shuffled) order; compare them as a set and the generated
		// tail byte for byte.
		generated := out[len(in):]
		var buf bytes.Buffer
		if err := (kio.ByteWriter{Writer: &buf}).Write(generated); err != nil {
			t.Fatal(err)
		}
		if round == 0 {
			first = buf.Bytes()
			if n := len(generated); n != 4+4*3-1+2 {
				t.Fatalf("%d generated objects, want 4 Secrets, 11 ServiceAccounts, 2 RoleBindings", n)
			}
			continue
		}
		if !bytes.Equal(first, buf.Bytes()) {
			t.Fatalf("round %d: generated output differs:\n%s\n---- first:\n%s", round, buf.Bytes(), first)
		}
	}
}
