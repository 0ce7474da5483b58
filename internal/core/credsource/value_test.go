package credsource

import (
	"path/filepath"
	"testing"

	"pullgen.dev/pullgen/schema/v1alpha1"
)

func TestValue(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"plain.txt":      secret + "\n",
		"crlf.txt":       secret + "\r\n",
		"twonl.txt":      secret + "\n\n",
		"empty.txt":      "",
		"creds.yaml":     "quay:\n  robot:\n    token: " + secret + "\n  list:\n    - name: a\n      pw: " + secret + "\n  port: 5000\n  flag: true\n  map: {a: b}\n  'dotted.key': " + secret + "\n  empty: ''\n",
		"creds.enc.yml":  "a: {b: " + secret + "}\n",
		"creds.json":     `{"auths": {"quay.io": {"password": "` + secret + `"}}, "n": 1, "arr": [{"x": "` + secret + `"}], ".dockerconfigjson": "` + secret + `"}`,
		"creds.env":      "# comment\nexport QUAY_TOKEN=" + secret + "\nSINGLE='" + secret + " #x'\nDOUBLE=\"" + secret + "\\nline2\"\nBARE=" + secret + "  # trailing comment\nMULTI=\"a\nb\"\n",
		"creds.ini":      "global = " + secret + "\n; comment\n[quay]\ntoken = " + secret + "\nquoted = \"" + secret + "\"\n[other section]\nuser: robot\n",
		"nodot":          "{\"a\": {\"b\": \"" + secret + "\"}}",
		"nodot-env":      "TOKEN=" + secret + "\n",
		"nodot-ini":      "[s]\nk = " + secret + "\n",
		"nodot-yaml":     "a:\n  b: " + secret + "\n",
		"sub/inner.yaml": "k: " + secret + "\n",
	})
	r := &Resolver{BaseDir: dir, LookupEnv: env(map[string]string{"TOKEN": secret, "EMPTY": ""})}
	tests := []struct {
		name string
		src  v1alpha1.Source
		want string
	}{
		{"env", v1alpha1.Source{Env: "TOKEN"}, secret},
		{"file plain", v1alpha1.Source{File: "plain.txt"}, secret},
		{"file crlf", v1alpha1.Source{File: "crlf.txt"}, secret},
		{"file one newline trimmed only", v1alpha1.Source{File: "twonl.txt"}, secret + "\n"},
		{"file absolute", v1alpha1.Source{File: filepath.Join(dir, "plain.txt")}, secret},
		{"file in subdir", v1alpha1.Source{File: "sub/inner.yaml", Key: "k"}, secret},
		{"yaml nested", v1alpha1.Source{File: "creds.yaml", Key: "quay.robot.token"}, secret},
		{"yaml list index", v1alpha1.Source{File: "creds.yaml", Key: "quay.list.0.pw"}, secret},
		{"yaml dotted key", v1alpha1.Source{File: "creds.yaml", Key: "quay.dotted.key"}, secret},
		{"yml extension", v1alpha1.Source{File: "creds.enc.yml", Key: "a.b"}, secret},
		{"json nested", v1alpha1.Source{File: "creds.json", Key: "auths.quay.io.password"}, secret},
		{"json list", v1alpha1.Source{File: "creds.json", Key: "arr.0.x"}, secret},
		{"json leading dot key", v1alpha1.Source{File: "creds.json", Key: ".dockerconfigjson"}, secret},
		{"dotenv export", v1alpha1.Source{File: "creds.env", Key: "QUAY_TOKEN"}, secret},
		{"dotenv single quotes", v1alpha1.Source{File: "creds.env", Key: "SINGLE"}, secret + " #x"},
		{"dotenv double quotes", v1alpha1.Source{File: "creds.env", Key: "DOUBLE"}, secret + "\nline2"},
		{"dotenv bare with comment", v1alpha1.Source{File: "creds.env", Key: "BARE"}, secret},
		{"dotenv multi-line", v1alpha1.Source{File: "creds.env", Key: "MULTI"}, "a\nb"},
		{"ini bare key", v1alpha1.Source{File: "creds.ini", Key: "global"}, secret},
		{"ini section", v1alpha1.Source{File: "creds.ini", Key: "quay.token"}, secret},
		{"ini quoted", v1alpha1.Source{File: "creds.ini", Key: "quay.quoted"}, secret},
		{"ini colon, spaced section", v1alpha1.Source{File: "creds.ini", Key: "other section.user"}, "robot"},
		{"sniffed json", v1alpha1.Source{File: "nodot", Key: "a.b"}, secret},
		{"sniffed dotenv", v1alpha1.Source{File: "nodot-env", Key: "TOKEN"}, secret},
		{"sniffed ini", v1alpha1.Source{File: "nodot-ini", Key: "s.k"}, secret},
		{"sniffed yaml", v1alpha1.Source{File: "nodot-yaml", Key: "a.b"}, secret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.Value(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestValueErrors(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"empty.txt":  "",
		"creds.yaml": "quay:\n  token: " + secret + "\n  port: 5000\n  flag: true\n  map: {a: " + secret + "}\n  list: [" + secret + "]\n  nothing: null\n  blank: ''\n",
		"creds.json": `{"a": {"b": "` + secret + `"}}`,
		"bad.json":   `{"a": "` + secret + `"`,
		"bad2.json":  `{"a": ` + secret + `}`,
		"creds.env":  "TOKEN=" + secret + "\n",
		"bad.env":    "TOKEN=" + secret + "\nthis is not dotenv\n",
		"creds.ini":  "[s]\nk = " + secret + "\n",
	})
	r := &Resolver{BaseDir: dir, LookupEnv: env(map[string]string{"TOKEN": secret, "EMPTY": ""})}
	tests := []struct {
		name string
		src  v1alpha1.Source
		want []string
	}{
		{"neither", v1alpha1.Source{}, []string{"neither env nor file"}},
		{"both", v1alpha1.Source{Env: "TOKEN", File: "creds.env"}, []string{"both env and file"}},
		{"env missing", v1alpha1.Source{Env: "QUAY_TOKEN"}, []string{"QUAY_TOKEN", "not set"}},
		{"env empty", v1alpha1.Source{Env: "EMPTY"}, []string{"EMPTY", "empty"}},
		{"env with key", v1alpha1.Source{Env: "TOKEN", Key: "a"}, []string{"TOKEN", "files only"}},
		{"file missing", v1alpha1.Source{File: "nope.txt"}, []string{"reading nope.txt", "no such file"}},
		{"file empty", v1alpha1.Source{File: "empty.txt"}, []string{"empty.txt", "empty"}},
		{"yaml key missing", v1alpha1.Source{File: "creds.yaml", Key: "quay.password"}, []string{"creds.yaml", "quay.password", "not found"}},
		{"yaml key too deep", v1alpha1.Source{File: "creds.yaml", Key: "quay.token.x"}, []string{"creds.yaml", "quay.token.x", "not found"}},
		{"yaml number", v1alpha1.Source{File: "creds.yaml", Key: "quay.port"}, []string{"creds.yaml", "quay.port", "number"}},
		{"yaml bool", v1alpha1.Source{File: "creds.yaml", Key: "quay.flag"}, []string{"quay.flag", "boolean"}},
		{"yaml map", v1alpha1.Source{File: "creds.yaml", Key: "quay.map"}, []string{"quay.map", "map"}},
		{"yaml list", v1alpha1.Source{File: "creds.yaml", Key: "quay.list"}, []string{"quay.list", "list"}},
		{"yaml list out of range", v1alpha1.Source{File: "creds.yaml", Key: "quay.list.3"}, []string{"quay.list.3", "not found"}},
		{"yaml null", v1alpha1.Source{File: "creds.yaml", Key: "quay.nothing"}, []string{"quay.nothing", "null"}},
		{"yaml empty string", v1alpha1.Source{File: "creds.yaml", Key: "quay.blank"}, []string{"quay.blank", "empty"}},
		{"json key missing", v1alpha1.Source{File: "creds.json", Key: "a.c"}, []string{"creds.json", "a.c", "not found"}},
		{"json invalid", v1alpha1.Source{File: "bad.json", Key: "a"}, []string{"bad.json", "JSON"}},
		{"json syntax error does not quote the input", v1alpha1.Source{File: "bad2.json", Key: "a"}, []string{"bad2.json", "invalid JSON at byte 7"}},
		{"dotenv key missing", v1alpha1.Source{File: "creds.env", Key: "OTHER"}, []string{"creds.env", "OTHER", "not found"}},
		{"dotenv invalid", v1alpha1.Source{File: "bad.env", Key: "TOKEN"}, []string{"bad.env", "line 2"}},
		{"ini key missing", v1alpha1.Source{File: "creds.ini", Key: "k"}, []string{"creds.ini", "k", "not found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.Value(tt.src)
			checkErr(t, err, tt.want...)
		})
	}
}

func TestValueReadFileHook(t *testing.T) {
	var asked string
	r := &Resolver{BaseDir: "/specs/team", ReadFile: func(p string) ([]byte, error) {
		asked = p
		return []byte("pw\n"), nil
	}}
	got, err := r.Value(v1alpha1.Source{File: "../creds/pw.txt"})
	if err != nil || got != "pw" {
		t.Fatalf("got %q, %v", got, err)
	}
	if asked != "/specs/creds/pw.txt" {
		t.Errorf("ReadFile got %q, want the joined absolute path", asked)
	}
}

func TestDetectFormat(t *testing.T) {
	for path, want := range map[string]string{
		"a.yaml": "yaml", "a.enc.yml": "yaml", "A.YAML": "yaml", "a.json": "json", "x/.env": "dotenv",
		"a.enc.env": "dotenv", "a.ini": "ini", "a.txt": "binary", "token": "binary", "a.json.bak": "binary",
	} {
		if got := DetectFormat(path); got != want {
			t.Errorf("DetectFormat(%q) = %q, want %q", path, got, want)
		}
	}
}
