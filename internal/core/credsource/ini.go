package credsource

import (
	"fmt"
	"strings"
)

// parseINI reads an INI file into a flat map: "section.key" for keys under a [section]
// header, "key" for keys before any header. Lines starting with ; or # are comments,
// "key = value" and "key: value" are both accepted, and a value wrapped in matching
// quotes loses them. A later key wins.
func parseINI(data []byte) (map[string]string, error) {
	vals := map[string]string{}
	section := ""
	for i, line := range strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == ';' || line[0] == '#' {
			continue
		}
		if isINIHeader(line) {
			section = strings.TrimSpace(line[1 : len(line)-1])
			continue
		}
		sep := strings.IndexAny(line, "=:")
		if sep <= 0 {
			return nil, fmt.Errorf("parsing as INI: line %d is neither [section] nor key = value", i+1)
		}
		key := strings.TrimSpace(line[:sep])
		if section != "" {
			key = section + "." + key
		}
		vals[key] = unquoteINI(strings.TrimSpace(line[sep+1:]))
	}
	return vals, nil
}

func isINIHeader(line string) bool {
	return len(line) >= 2 && line[0] == '[' && line[len(line)-1] == ']'
}

func unquoteINI(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}
