package pullcheck

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

func secretYAML(typ, key, value string) string {
	return "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ntype: " + typ + "\nstringData:\n  " + key + ": '" + value + "'\n"
}

func TestSecretRegistries(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	raw := func(s string) string { return base64.RawStdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name    string
		doc     string
		want    []string
		wantErr string
	}{
		{"padded auth", secretYAML(SecretTypeDockerConfigJSON, DockerConfigJSONKey, `{"auths":{"quay.io":{"auth":"`+b64("u:p1")+`"}}}`), []string{"quay.io"}, ""},
		{"unpadded auth", secretYAML(SecretTypeDockerConfigJSON, DockerConfigJSONKey, `{"auths":{"quay.io":{"auth":"`+raw("u:p1")+`"}}}`), []string{"quay.io"}, ""},
		{"username and password without auth", secretYAML(SecretTypeDockerConfigJSON, DockerConfigJSONKey, `{"auths":{"b.io":{"username":"u","password":"p"},"a.io":{}}}`), []string{"a.io", "b.io"}, ""},
		{"auth not base64", secretYAML(SecretTypeDockerConfigJSON, DockerConfigJSONKey, `{"auths":{"quay.io":{"auth":"SECRETVALUE!!"}}}`), nil, `registry "quay.io": auth is not valid base64`},
		{"auth without colon", secretYAML(SecretTypeDockerConfigJSON, DockerConfigJSONKey, `{"auths":{"quay.io":{"auth":"`+b64("SECRETVALUE")+`"}}}`), nil, `registry "quay.io": auth is not base64 of user:password`},
		{"auth padding on unpadded data", secretYAML(SecretTypeDockerConfigJSON, DockerConfigJSONKey, `{"auths":{"quay.io":{"auth":"`+raw("u:p")+`="}}}`), nil, "not valid base64"},
		{"auth of wrong JSON type", secretYAML(SecretTypeDockerConfigJSON, DockerConfigJSONKey, `{"auths":{"quay.io":{"auth":12}}}`), nil, "not valid docker config JSON"},
		{"invalid JSON", secretYAML(SecretTypeDockerConfigJSON, DockerConfigJSONKey, `{"auths":{"quay.io":SECRETVALUE}}`), nil, "not valid JSON"},
		{"every bad key named", secretYAML(SecretTypeDockerConfigJSON, DockerConfigJSONKey, `{"auths":{"b.io":{"auth":"!"},"a.io":{"auth":"!"}}}`), nil, `registry "a.io": auth is not valid base64; registry "b.io"`},
		{"dockercfg bare map", secretYAML(SecretTypeDockercfg, DockercfgKey, `{"https://index.docker.io/v1/":{"auth":"`+b64("u:p")+`"}}`), []string{"https://index.docker.io/v1/"}, ""},
		{"dockercfg with bad auth", secretYAML(SecretTypeDockercfg, DockercfgKey, `{"quay.io":{"auth":"%%%"}}`), nil, "auth is not valid base64"},
		{"no auths", secretYAML(SecretTypeDockerConfigJSON, DockerConfigJSONKey, `{}`), []string{}, ""},
		{"key of the other type ignored", secretYAML(SecretTypeDockerConfigJSON, DockercfgKey, `{"quay.io":{}}`), nil, ""},
		{"opaque ignored", secretYAML("Opaque", DockerConfigJSONKey, `{"auths":{"quay.io":{}}}`), nil, ""},
		{"data base64", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: " + SecretTypeDockerConfigJSON + "\ndata:\n  .dockerconfigjson: " + b64(`{"auths":{"ghcr.io":{"auth":"`+b64("u:p")+`"}}}`) + "\n", []string{"ghcr.io"}, ""},
		{"data not base64", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: " + SecretTypeDockerConfigJSON + "\ndata:\n  .dockerconfigjson: '!!'\n", nil, "data..dockerconfigjson is not valid base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := yaml.Parse(tt.doc)
			if err != nil {
				t.Fatal(err)
			}
			got, err := SecretRegistries(n)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "SECRETVALUE") || strings.Contains(err.Error(), "U0VDUkVU") {
					t.Errorf("error leaks the credential: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" && !(len(tt.want) == 0 && len(got) == 0) {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadSecretEncrypted(t *testing.T) {
	doc := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  annotations:\n    pullgen.dev/registries: ' quay.io/acme, ,https://index.docker.io/v1/'\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: ENC[AES256_GCM,data:x]\nsops:\n  version: 3.9.0\n"
	n := yaml.MustParse(doc)
	info := readSecret(n.YNode(), "s", nil)
	if diff := cmp.Diff([]string{"https://index.docker.io/v1/", "quay.io/acme"}, info.registries); diff != "" || info.err != nil || info.unknown != "" {
		t.Errorf("annotation: %+v %s", info, diff)
	}

	// A decrypter wins over the annotation.
	plain := yaml.MustParse(secretYAML(SecretTypeDockerConfigJSON, DockerConfigJSONKey, `{"auths":{"ghcr.io":{}}}`))
	info = readSecret(n.YNode(), "s", func(*yaml.RNode) (*yaml.RNode, error) { return plain, nil })
	if diff := cmp.Diff([]string{"ghcr.io"}, info.registries); diff != "" {
		t.Errorf("decrypt: %s", diff)
	}
	// A failing decrypter falls back to the annotation.
	info = readSecret(n.YNode(), "s", func(*yaml.RNode) (*yaml.RNode, error) { return nil, errors.New("no key") })
	if len(info.registries) != 2 {
		t.Errorf("fallback: %+v", info)
	}
	// Without the annotation the keys are unknown.
	bare := yaml.MustParse("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/dockerconfigjson\nsops: {version: 3.9.0}\n")
	info = readSecret(bare.YNode(), "s", func(*yaml.RNode) (*yaml.RNode, error) { return nil, errors.New("no key") })
	if info.unknown == "" || !strings.Contains(info.unknown, "no key") {
		t.Errorf("unknown: %+v", info)
	}
}
