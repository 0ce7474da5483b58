package clusterpullsecret

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"pullgen.dev/pullgen/internal/core/dockercfg"
)

// auths builds an auths map: each key's entry is {"auth": value}.
func auths(kv ...string) dockercfg.Auths {
	a := dockercfg.Auths{}
	for i := 0; i+1 < len(kv); i += 2 {
		b, _ := json.Marshal(map[string]string{"auth": kv[i+1]})
		a[kv[i]] = b
	}
	return a
}

var good = base64.StdEncoding.EncodeToString([]byte("user:pass"))

// TestMergeAdditional checks HyperShift's merge: the original wins on a key both have,
// exactly as written; a path key adds a credential beside the original's host key.
func TestMergeAdditional(t *testing.T) {
	original := auths("quay.io", "b3JpZzpvcmln", "cloud.openshift.com", "b3JpZzpvcmln")
	additional := auths("quay.io", "bWluZTptaW5l", "quay.io/team", "bWluZTptaW5l", "https://quay.io", "bWluZTptaW5l", "mirror.local", "bWluZTptaW5l")
	merged, ignored := MergeAdditional(original, additional)
	if diff := cmp.Diff([]string{"quay.io"}, ignored); diff != "" {
		t.Errorf("ignored (-want +got):\n%s", diff)
	}
	want := dockercfg.Auths{
		"quay.io":             original["quay.io"],
		"cloud.openshift.com": original["cloud.openshift.com"],
		"quay.io/team":        additional["quay.io/team"],
		"https://quay.io":     additional["https://quay.io"],
		"mirror.local":        additional["mirror.local"],
	}
	if diff := cmp.Diff(want, merged); diff != "" {
		t.Errorf("merged (-want +got):\n%s", diff)
	}
	if got := PathKeyHint("https://quay.io/"); got != "quay.io/<namespace>" {
		t.Errorf("hint %q", got)
	}
}

func TestValidateAdditional(t *testing.T) {
	if err := ValidateAdditional(auths("mirror.local", good)); err != nil {
		t.Errorf("control: %v", err)
	}
	if err := ValidateAdditional(dockercfg.Auths{}); err == nil {
		t.Error("an empty additional pull secret passed")
	}
}

// TestCheckARO checks what Azure Red Hat OpenShift makes of a written global pull secret.
func TestCheckARO(t *testing.T) {
	aro := auths(AROServiceRegistry, "YXJvOmFybw==")
	other := json.RawMessage(`{"auth":"bWluZTptaW5l"}`)
	with := func(a dockercfg.Auths, kv ...any) dockercfg.Auths {
		out := dockercfg.Auths{}
		for k, v := range a {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i].(string)] = kv[i+1].(json.RawMessage)
		}
		return out
	}
	tests := []struct {
		name         string
		base, result dockercfg.Auths
		want         AROCheck
	}{
		{"kept", aro, with(aro, "mirror.local", other), AROCheck{}},
		{"dropped", aro, auths("mirror.local", good), AROCheck{Dropped: true}},
		{"replaced", aro, with(aro, AROServiceRegistry, other), AROCheck{Dropped: true}},
		{"not an ARO base", auths("quay.io", good), auths("quay.io", good), AROCheck{Missing: true}},
		{"telemetry added", aro, with(aro, TelemetryRegistry, other), AROCheck{Telemetry: true}},
		{"telemetry already there", with(aro, TelemetryRegistry, other), with(aro, TelemetryRegistry, other), AROCheck{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CheckARO(tt.base, tt.result); got != tt.want {
				t.Errorf("CheckARO = %+v, want %+v", got, tt.want)
			}
		})
	}
}
