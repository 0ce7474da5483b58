package render

import "testing"

// TestLookupEnv: whatever asks (a source field sandboxRules does not know of included), an
// untrusted PullAccess reads ARGOCD_ENV_* and the allowed variables only; the others are
// never even looked up.
func TestLookupEnv(t *testing.T) {
	env := map[string]string{"ARGOCD_ENV_TOKEN": "a", "ALLOWED": "b", "AWS_SECRET_ACCESS_KEY": "c", "HOME": "/root"}
	tests := []struct {
		name    string
		trusted bool
		want    map[string]bool // variable → readable
	}{
		{"untrusted", false, map[string]bool{"ARGOCD_ENV_TOKEN": true, "ALLOWED": true, "AWS_SECRET_ACCESS_KEY": false, "HOME": false}},
		{"trusted (check on the author's machine)", true, map[string]bool{"ARGOCD_ENV_TOKEN": true, "ALLOWED": true, "AWS_SECRET_ACCESS_KEY": true, "HOME": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asked := map[string]bool{}
			r := &renderer{o: Options{Trusted: tt.trusted, AllowEnv: []string{"ALLOWED"}, LookupEnv: func(n string) (string, bool) {
				asked[n] = true
				v, ok := env[n]
				return v, ok
			}}}
			for name, readable := range tt.want {
				v, ok := r.lookupEnv(name)
				if ok != readable || (ok && v != env[name]) {
					t.Errorf("lookupEnv(%s) = %q, %v; want readable %v", name, v, ok, readable)
				}
				if !readable && asked[name] {
					t.Errorf("%s was looked up although it may not be read", name)
				}
			}
		})
	}
}
