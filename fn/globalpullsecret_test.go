package fn

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/core/dockercfg"
)

// runGlobal runs a PullAccess (the spec lines, indented by two spaces) with env BASE holding
// base as a .dockerconfigjson, and returns the generated Secrets' auths keys by
// namespace/name, and the results as printed.
func runGlobal(t *testing.T, specLines string, base dockercfg.Auths) (map[string][]string, string) {
	t.Helper()
	spec := "apiVersion: pullgen.dev/v1alpha1\nkind: PullAccess\nmetadata: {name: acme}\nspec:\n  output: {encrypt: false}\n  check: off\n" + specLines
	env := map[string]string{"TOKEN": "tok", "BASE": string(base.DockerConfigJSON())}
	out, results := Run(yaml.MustParse(spec), nil, Options{Sources: Sources{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}})
	secrets := map[string][]string{}
	for _, o := range out {
		if o.GetKind() != "Secret" {
			continue
		}
		data, err := o.Pipe(yaml.Lookup("data", ".dockerconfigjson"))
		if err != nil || data == nil {
			t.Fatalf("no data .dockerconfigjson: %v", err)
		}
		raw, err := base64.StdEncoding.DecodeString(data.YNode().Value)
		if err != nil {
			t.Fatal(err)
		}
		auths, err := dockercfg.ParseDockerConfigJSON(raw)
		if err != nil {
			t.Fatal(err)
		}
		secrets[o.GetNamespace()+"/"+o.GetName()] = auths.Keys()
	}
	return secrets, messages(results)
}

// errorLines are the printed results that are errors (no severity in front).
func errorLines(msgs string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(msgs), "\n") {
		if l != "" && !strings.Contains(l, ": info: ") && !strings.Contains(l, ": warning: ") {
			out = append(out, l)
		}
	}
	return out
}

func entry(user string) dockercfg.Entry { return dockercfg.NewEntry(user, "pw", "") }

func baseOf(keys ...string) dockercfg.Auths {
	a := dockercfg.Auths{}
	for _, k := range keys {
		a.Set(k, entry("base-"+k))
	}
	return a
}

const mirrorRegistries = `  registries:
  - {server: quay.io/acme, username: robot, passwordFrom: {env: TOKEN}}
  - {server: mirror.example.com, username: node, passwordFrom: {env: TOKEN}, mirror: true}
`

// TestMirrorCredentialsGoToTheGlobalPullSecret: a mirror registry's credential is in the
// global pull secret and in no namespace Secret, and generate says why; the other
// registry is in both.
func TestMirrorCredentialsGoToTheGlobalPullSecret(t *testing.T) {
	secrets, msgs := runGlobal(t, "  namespaces: [team-a]\n  globalPullSecret: {base: {env: BASE}}\n"+mirrorRegistries, baseOf("cloud.openshift.com"))
	want := map[string][]string{
		"team-a/acme":                  {"quay.io/acme"},
		"openshift-config/pull-secret": {"cloud.openshift.com", "mirror.example.com", "quay.io/acme"},
	}
	if diff := cmp.Diff(want, secrets); diff != "" {
		t.Errorf("Secrets (-want +got):\n%s\n%s", diff, msgs)
	}
	if !strings.Contains(msgs, "spec.registries[1].mirror: info: written to the global pull secret only: the container runtime authenticates a pull from a mirror with the node's credentials") {
		t.Errorf("no explanation:\n%s", msgs)
	}
}

// TestMirrorRefusals: a mirror needs the global pull secret, and namespaces need a
// registry that is not a mirror; the control passes.
func TestMirrorRefusals(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"  namespaces: [team-a]\n  globalPullSecret: {base: {env: BASE}}\n" + mirrorRegistries, ""},
		{"  namespaces: [team-a]\n" + mirrorRegistries, "spec.registries[1].mirror: a mirror's credential works only from the nodes' own credentials: configure spec.globalPullSecret"},
		{"  namespaces: [team-a]\n  globalPullSecret: {base: {env: BASE}}\n  registries: [{server: mirror.example.com, username: n, passwordFrom: {env: TOKEN}, mirror: true}]\n",
			"spec.registries: every registry is a mirror"},
	}
	for _, tt := range tests {
		_, msgs := runGlobal(t, tt.spec, baseOf("quay.io"))
		if tt.want == "" && len(errorLines(msgs)) > 0 {
			t.Errorf("control refused:\n%s", msgs)
		}
		if tt.want != "" && !strings.Contains(msgs, tt.want) {
			t.Errorf("want %q in\n%s", tt.want, msgs)
		}
	}
}

// TestHostedTarget: target hosted writes kube-system/additional-pull-secret with the
// spec's credentials alone, and warns of each key the original pull secret has (the base,
// else the keys of every Red Hat pull secret), which the original wins on the nodes.
func TestHostedTarget(t *testing.T) {
	regs := "  registries:\n  - {server: quay.io, username: a, passwordFrom: {env: TOKEN}}\n  - {server: quay.io/team, username: b, passwordFrom: {env: TOKEN}}\n" +
		"  - {server: mirror.example.com, username: c, passwordFrom: {env: TOKEN}, mirror: true}\n"
	secrets, msgs := runGlobal(t, "  globalPullSecret: {target: hosted}\n"+regs, nil)
	want := map[string][]string{"kube-system/additional-pull-secret": {"mirror.example.com", "quay.io", "quay.io/team"}}
	if diff := cmp.Diff(want, secrets); diff != "" {
		t.Errorf("Secrets (-want +got):\n%s\n%s", diff, msgs)
	}
	for _, w := range []string{
		`spec.registries[0].server: warning: auths key "quay.io" is in every Red Hat pull secret, and so the hosted cluster's original pull secret, whose entry wins on the nodes: this credential is ignored; write it for a path instead (quay.io/<namespace>)`,
	} {
		if !strings.Contains(msgs, w) {
			t.Errorf("want %q in\n%s", w, msgs)
		}
	}
	if strings.Contains(msgs, `"quay.io/team"`) || strings.Contains(msgs, `"mirror.example.com" is in`) {
		t.Errorf("a key the original lacks is reported:\n%s", msgs)
	}
	// With the original as base: its keys only.
	_, msgs = runGlobal(t, "  globalPullSecret: {target: hosted, base: {env: BASE}}\n"+regs, baseOf("mirror.example.com"))
	if !strings.Contains(msgs, `spec.registries[2].server: warning: auths key "mirror.example.com" is in the hosted cluster's original pull secret (spec.globalPullSecret.base), whose entry wins`) || strings.Contains(msgs, `"quay.io" is in`) {
		t.Errorf("base's keys not reported alone:\n%s", msgs)
	}
	// onConflict has no meaning there.
	_, msgs = runGlobal(t, "  globalPullSecret: {target: hosted, onConflict: replace}\n"+regs, nil)
	if !strings.Contains(msgs, "spec.globalPullSecret.onConflict: applies to target cluster only") {
		t.Errorf("onConflict accepted:\n%s", msgs)
	}
}

// TestARO: on Azure Red Hat OpenShift the base's arosvc.azurecr.io entry stays (a base
// without it, or a spec that replaces it, is refused) and adding cloud.openshift.com is a
// warning; the control keeps the entry and passes.
func TestARO(t *testing.T) {
	regs := "  registries: [{server: mirror.example.com, username: a, passwordFrom: {env: TOKEN}, mirror: true}]\n"
	aro := "  globalPullSecret: {platform: aro, base: {env: BASE}}\n"
	secrets, msgs := runGlobal(t, aro+regs, baseOf("arosvc.azurecr.io", "cloud.openshift.com"))
	if diff := cmp.Diff(map[string][]string{"openshift-config/pull-secret": {"arosvc.azurecr.io", "cloud.openshift.com", "mirror.example.com"}}, secrets); diff != "" || strings.Contains(msgs, "warning") {
		t.Errorf("control (-want +got):\n%s\n%s", diff, msgs)
	}
	tests := []struct {
		name, spec string
		base       dockercfg.Auths
		want       string
		err        bool
	}{
		{"base without the ARO entry", aro + regs, baseOf("quay.io"), "spec.globalPullSecret.base: has no arosvc.azurecr.io entry", true},
		{"replaced", "  globalPullSecret: {platform: aro, onConflict: replace, base: {env: BASE}}\n" +
			"  registries: [{server: arosvc.azurecr.io, username: a, passwordFrom: {env: TOKEN}, mirror: true}]\n",
			baseOf("arosvc.azurecr.io"), "spec.globalPullSecret.onConflict: Azure Red Hat OpenShift needs the base's arosvc.azurecr.io entry as it is", true},
		{"telemetry", aro + "  registries: [{server: cloud.openshift.com, username: a, passwordFrom: {env: TOKEN}, mirror: true}]\n",
			baseOf("arosvc.azurecr.io"), "spec.registries: warning: adds cloud.openshift.com, which turns on the cluster's telemetry", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secrets, msgs := runGlobal(t, tt.spec, tt.base)
			if !strings.Contains(msgs, tt.want) {
				t.Errorf("want %q in\n%s", tt.want, msgs)
			}
			if tt.err != (len(secrets) == 0) {
				t.Errorf("refused %v, want %v: %v", len(secrets) == 0, tt.err, secrets)
			}
		})
	}
}
