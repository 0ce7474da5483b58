package clusterpullsecret

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"pullgen.dev/pullgen/internal/core/dockercfg"
)

// auths builds an auths map of keys, each entry's user being user.
func auths(user string, keys ...string) dockercfg.Auths {
	a := dockercfg.Auths{}
	for _, k := range keys {
		a.Set(k, dockercfg.NewEntry(user, "pass", ""))
	}
	return a
}

// with is a copy of a with the entries of b added, b's winning.
func with(a, b dockercfg.Auths) dockercfg.Auths {
	out := dockercfg.Auths{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// TestMergeAdditional checks HyperShift's merge: the original wins on a key both have,
// exactly as written; a path key adds a credential beside the original's host key.
func TestMergeAdditional(t *testing.T) {
	original := auths("orig", "quay.io", "cloud.openshift.com")
	additional := auths("mine", "quay.io", "quay.io/team", "https://quay.io", "mirror.local")
	merged, ignored := MergeAdditional(original, additional)
	if diff := cmp.Diff([]string{"quay.io"}, ignored); diff != "" {
		t.Errorf("ignored (-want +got):\n%s", diff)
	}
	want := with(auths("mine", "quay.io/team", "https://quay.io", "mirror.local"), original)
	if diff := cmp.Diff(want, merged); diff != "" {
		t.Errorf("merged (-want +got):\n%s", diff)
	}
	if got := PathKeyHint("https://quay.io/"); got != "quay.io/<namespace>" {
		t.Errorf("hint %q", got)
	}
}

func TestValidateAdditional(t *testing.T) {
	if err := ValidateAdditional(auths("u", "mirror.local")); err != nil {
		t.Errorf("control: %v", err)
	}
	if err := ValidateAdditional(dockercfg.Auths{}); err == nil {
		t.Error("an empty additional pull secret passed")
	}
}

// TestCheckARO checks what Azure Red Hat OpenShift makes of a written global pull secret.
func TestCheckARO(t *testing.T) {
	aro := auths("aro", AROServiceRegistry)
	tests := []struct {
		name         string
		base, result dockercfg.Auths
		want         AROCheck
	}{
		{"kept", aro, with(aro, auths("u", "mirror.local")), AROCheck{}},
		{"dropped", aro, auths("u", "mirror.local"), AROCheck{Dropped: true}},
		{"replaced", aro, auths("u", AROServiceRegistry), AROCheck{Dropped: true}},
		{"not an ARO base", auths("u", "quay.io"), auths("u", "quay.io"), AROCheck{Missing: true}},
		{"telemetry added", aro, with(aro, auths("u", TelemetryRegistry)), AROCheck{Telemetry: true}},
		{"telemetry already there", with(aro, auths("u", TelemetryRegistry)), with(aro, auths("u", TelemetryRegistry)), AROCheck{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CheckARO(tt.base, tt.result); got != tt.want {
				t.Errorf("CheckARO = %+v, want %+v", got, tt.want)
			}
		})
	}
}
