package pullcheck

import (
	"encoding/json"
	"strconv"
)

// appendFinding appends the JSON of a finding to b exactly as json.Marshal writes it (the
// field order and omitempty of Finding's tags, nil lists as []), without reflection but for
// the online object: the JSON report holds one entry per image of tens of thousands of pods.
func appendFinding(b []byte, f *Finding) []byte {
	b = append(b, `{"file":`...)
	b = appendJSONString(b, f.File)
	b = append(b, `,"kind":`...)
	b = appendJSONString(b, f.Kind)
	b = append(b, `,"namespace":`...)
	b = appendJSONString(b, f.Namespace)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, f.Name)
	if f.Container != "" {
		b = append(b, `,"container":`...)
		b = appendJSONString(b, f.Container)
	}
	if f.Image != "" {
		b = append(b, `,"image":`...)
		b = appendJSONString(b, f.Image)
	}
	b = append(b, `,"field":`...)
	b = appendJSONString(b, f.Field)
	b = append(b, `,"line":`...)
	b = strconv.AppendInt(b, int64(f.Line), 10)
	b = append(b, `,"pullSecrets":[`...)
	for i, s := range f.PullSecrets {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	b = append(b, `],"credentials":[`...)
	for i, c := range f.Credentials {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"secret":`...)
		b = appendJSONString(b, c.Secret)
		b = append(b, `,"registry":`...)
		b = appendJSONString(b, c.Registry)
		b = append(b, '}')
	}
	b = append(b, `],"severity":`...)
	b = appendJSONString(b, string(f.Severity))
	b = append(b, `,"rule":`...)
	b = appendJSONString(b, f.Rule)
	b = append(b, `,"message":`...)
	b = appendJSONString(b, f.Message)
	if f.ExpiresAt != "" {
		b = append(b, `,"expiresAt":`...)
		b = appendJSONString(b, f.ExpiresAt)
	}
	if f.Online != nil {
		// One per image, and only with --online, which waits for the registries anyway.
		o, _ := json.Marshal(f.Online) // strings, numbers and pointers to them: it cannot fail
		b = append(b, `,"online":`...)
		b = append(b, o...)
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string: printable ASCII that encoding/json writes
// as it is goes straight in; anything else (quotes, backslashes, control characters, <, >,
// &, non-ASCII) is left to encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
