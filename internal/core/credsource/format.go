package credsource

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
)

// File formats, as the sops CLI names them.
const (
	FormatYAML   = "yaml"
	FormatJSON   = "json"
	FormatDotenv = "dotenv"
	FormatINI    = "ini"
	FormatBinary = "binary"
)

// DetectFormat returns the format of a file by its extension, the way the sops CLI picks
// its store: .yaml and .yml are "yaml", .json "json", .env "dotenv", .ini "ini", anything
// else "binary". A SOPS-encrypted name such as creds.enc.yaml counts by its last extension.
func DetectFormat(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		return FormatYAML
	case ".json":
		return FormatJSON
	case ".env":
		return FormatDotenv
	case ".ini":
		return FormatINI
	default:
		return FormatBinary
	}
}

// sniffFormat guesses the structured format of a file whose extension says nothing:
// JSON when it starts with { or [, INI when a line is a [section] header, dotenv when every
// line is a comment or NAME=VALUE, else YAML.
func sniffFormat(data []byte) string {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') && !isINIHeader(firstLine(trimmed)) {
		return FormatJSON
	}
	dotenv := true
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") {
			continue
		}
		if isINIHeader(line) {
			return FormatINI
		}
		if _, _, ok := splitDotenvLine(line); !ok {
			dotenv = false
		}
	}
	if dotenv {
		return FormatDotenv
	}
	return FormatYAML
}

func firstLine(b []byte) string {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	return strings.TrimSpace(string(b))
}

// lookupKey returns the string at key in data, parsed as format (sniffed when binary).
func lookupKey(data []byte, format, key string, numbers bool) (string, error) {
	if format == FormatBinary {
		format = sniffFormat(data)
	}
	switch format {
	case FormatYAML, FormatJSON:
		return structuredKey(data, format, key, numbers)
	case FormatDotenv:
		vars, err := parseDotenv(data)
		if err != nil {
			return "", err
		}
		v, ok := vars[key]
		if !ok {
			return "", fmt.Errorf("key %s not found", key)
		}
		return v, nil
	case FormatINI:
		vals, err := parseINI(data)
		if err != nil {
			return "", err
		}
		v, ok := vals[key]
		if !ok {
			return "", fmt.Errorf("key %s not found (use section.key, or key for keys before any section)", key)
		}
		return v, nil
	default:
		return "", fmt.Errorf("unknown format %q", format)
	}
}
