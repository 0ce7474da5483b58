package v1alpha1

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestServiceAccountLinkUnmarshal(t *testing.T) {
	tests := []struct {
		in        string
		want      ServiceAccountLink
		nameField string
		err       bool
	}{
		{`"builder"`, ServiceAccountLink{Name: "builder", byName: true}, "", false},
		{`{"name": "builder"}`, ServiceAccountLink{Name: "builder"}, ".name", false},
		{`{"name": "builder", "keep": ["other-pull", "ci"]}`, ServiceAccountLink{Name: "builder", Keep: []string{"other-pull", "ci"}}, ".name", false},
		{`null`, ServiceAccountLink{}, ".name", false},
		{`["a"]`, ServiceAccountLink{}, "", true},
		{`{"name": 1}`, ServiceAccountLink{}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got ServiceAccountLink
			err := json.Unmarshal([]byte(tt.in), &got)
			if (err != nil) != tt.err {
				t.Fatalf("error %v, want error %v", err, tt.err)
			}
			if tt.err {
				return
			}
			if !reflect.DeepEqual(got, tt.want) || got.NameField() != tt.nameField {
				t.Errorf("got %+v (name field %q), want %+v (%q)", got, got.NameField(), tt.want, tt.nameField)
			}
		})
	}
}

func TestSyncWaveValue(t *testing.T) {
	wave := func(s string) *string { return &s }
	for _, tt := range []struct {
		in   *string
		want string
	}{{nil, "-1"}, {wave(""), ""}, {wave("3"), "3"}} {
		pa := PullAccess{Spec: Spec{SyncWave: tt.in}}
		if got := pa.SyncWaveValue(); got != tt.want {
			t.Errorf("SyncWaveValue() = %q, want %q", got, tt.want)
		}
	}
}
