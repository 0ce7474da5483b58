package fn

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	k8syaml "sigs.k8s.io/yaml"

	"pullgen.dev/pullgen/internal/testsupport/goldentest"
)

// TestGolden runs the fixtures of testdata/golden: config.yaml is the PullAccess,
// input.yaml the items, env.yaml the environment the credential sources see; the output
// must equal expected.yaml byte for byte and the results errors.txt.
func TestGolden(t *testing.T) {
	goldentest.Run(t, filepath.Join("..", "testdata", "golden"), func(t *testing.T, c goldentest.Case) goldentest.Outcome {
		config, err := yaml.Parse(string(c.Config))
		if err != nil {
			t.Fatalf("parsing config.yaml: %v", err)
		}
		var items []*yaml.RNode
		if len(c.Input) > 0 {
			items, err = (&kio.ByteReader{Reader: bytes.NewReader(c.Input), OmitReaderAnnotations: true}).Read()
			if err != nil {
				t.Fatalf("parsing input.yaml: %v", err)
			}
		}
		env := map[string]string{}
		if b, err := os.ReadFile(filepath.Join(c.Dir, "env.yaml")); err == nil {
			if err := k8syaml.Unmarshal(b, &env); err != nil {
				t.Fatalf("parsing env.yaml: %v", err)
			}
		}
		opts := Options{File: "config.yaml", Sources: Sources{
			BaseDir:   c.Dir,
			LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		}}
		out, results := Run(config, items, opts)
		var o goldentest.Outcome
		var msgs bytes.Buffer
		PrintResults(&msgs, results)
		o.Messages = msgs.Bytes()
		if results.ExitCode() == 0 {
			var buf bytes.Buffer
			if err := (kio.ByteWriter{Writer: &buf}).Write(out); err != nil {
				t.Fatal(err)
			}
			o.Output = buf.Bytes()
		}
		return o
	})
}
