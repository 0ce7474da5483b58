package credsource

import (
	"fmt"
	"strings"
)

// parseDotenv reads NAME=VALUE lines: blank lines and # comments are skipped, an
// "export " prefix is allowed, values may be single-quoted (literal), double-quoted
// (with \n, \t, \", \\ escapes, and spanning lines) or bare (trailing " #comment" and
// surrounding spaces removed). A later assignment wins, as in a shell.
func parseDotenv(data []byte) (map[string]string, error) {
	vars := map[string]string{}
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, raw, ok := splitDotenvLine(line)
		if !ok {
			return nil, fmt.Errorf("parsing as dotenv: line %d is not NAME=VALUE", i+1)
		}
		start := i + 1
		// A double-quoted value may continue on the next lines.
		if strings.HasPrefix(raw, `"`) {
			for !closedDoubleQuote(raw) && i+1 < len(lines) {
				i++
				raw += "\n" + lines[i]
			}
		}
		v, err := dotenvValue(raw)
		if err != nil {
			return nil, fmt.Errorf("parsing as dotenv: line %d (%s): %w", start, name, err)
		}
		vars[name] = v
	}
	return vars, nil
}

// splitDotenvLine splits a trimmed line into its variable name and raw value.
func splitDotenvLine(line string) (name, raw string, ok bool) {
	line = strings.TrimPrefix(line, "export ")
	name, raw, ok = strings.Cut(line, "=")
	name = strings.TrimSpace(name)
	if !ok || !isEnvName(name) {
		return "", "", false
	}
	return name, strings.TrimSpace(raw), true
}

func isEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		case c == '.' || c == '-': // accepted by sops and many loaders
		default:
			return false
		}
	}
	return true
}

// closedDoubleQuote reports whether raw, which starts with ", has its closing quote.
func closedDoubleQuote(raw string) bool {
	for i := 1; i < len(raw); i++ {
		switch raw[i] {
		case '\\':
			i++
		case '"':
			return true
		}
	}
	return false
}

func dotenvValue(raw string) (string, error) {
	switch {
	case strings.HasPrefix(raw, "'"):
		end := strings.IndexByte(raw[1:], '\'')
		if end < 0 {
			return "", fmt.Errorf("unterminated single quote")
		}
		return raw[1 : end+1], nil
	case strings.HasPrefix(raw, `"`):
		var b strings.Builder
		for i := 1; i < len(raw); i++ {
			c := raw[i]
			if c == '"' {
				return b.String(), nil
			}
			if c == '\\' && i+1 < len(raw) {
				i++
				switch raw[i] {
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				case 'r':
					b.WriteByte('\r')
				default:
					b.WriteByte(raw[i])
				}
				continue
			}
			b.WriteByte(c)
		}
		return "", fmt.Errorf("unterminated double quote")
	default:
		if i := strings.Index(raw, " #"); i >= 0 {
			raw = raw[:i]
		}
		return strings.TrimSpace(raw), nil
	}
}
