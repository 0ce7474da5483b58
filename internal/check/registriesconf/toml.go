package registriesconf

import (
	"fmt"
	"strings"
)

// Encode writes the configuration as registries.conf TOML, entries and mirrors in the
// order given: the same configuration gives the same bytes.
func (c Config) Encode() []byte {
	var b strings.Builder
	for i, reg := range c.Registries {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("[[registry]]\n")
		fmt.Fprintf(&b, "prefix = %s\n", quote(reg.Prefix))
		writeEndpoint(&b, reg.Endpoint, "")
		writeBool(&b, "blocked", reg.Blocked, "")
		writeBool(&b, "mirror-by-digest-only", reg.MirrorByDigestOnly, "")
		for _, m := range reg.Mirrors {
			b.WriteString("\n  [[registry.mirror]]\n")
			writeEndpoint(&b, m, "  ")
		}
	}
	return []byte(b.String())
}

func writeEndpoint(b *strings.Builder, e Endpoint, indent string) {
	if e.Location != "" {
		fmt.Fprintf(b, "%slocation = %s\n", indent, quote(e.Location))
	}
	writeBool(b, "insecure", e.Insecure, indent)
	if e.PullFromMirror != "" {
		fmt.Fprintf(b, "%spull-from-mirror = %s\n", indent, quote(e.PullFromMirror))
	}
}

func writeBool(b *strings.Builder, key string, v bool, indent string) {
	if v {
		fmt.Fprintf(b, "%s%s = true\n", indent, key)
	}
}

// quote writes a TOML basic string.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
