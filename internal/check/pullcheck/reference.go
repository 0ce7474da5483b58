package pullcheck

import "strings"

// The image reference grammar of the container runtimes (distribution/reference), checked
// by hand rather than with its regular expression: the check parses tens of thousands of
// image names.
//
//	reference  := name [ ":" tag ] [ "@" digest ]
//	name       := [domain "/"] path-component ["/" path-component]*
//	domain     := host [":" port]; host := domain-component ("." domain-component)* | "[" ipv6 "]"
//	path-comp  := [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*
//	tag        := [\w][\w.-]{0,127}
//	digest     := algorithm ":" hex{32,}; algorithm := [A-Za-z][A-Za-z0-9]* ([-_+.][A-Za-z][A-Za-z0-9]*)*

// splitReference splits the part of a reference after its domain into the repository path,
// the tag and the digest (nil when absent).
func splitReference(remainder string) (name string, tag, digest *string) {
	name = remainder
	if i := strings.IndexByte(name, '@'); i >= 0 {
		d := name[i+1:]
		digest = &d
		name = name[:i]
	}
	if i := strings.IndexByte(name, ':'); i >= 0 {
		t := name[i+1:]
		tag = &t
		name = name[:i]
	}
	return name, tag, digest
}

func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

func isAlnum(c byte) bool { return isLowerAlnum(c) || c >= 'A' && c <= 'Z' }

func isWord(c byte) bool { return isAlnum(c) || c == '_' }

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// isHexIdentifier reports whether s is a 64-character lower-case hexadecimal image ID.
func isHexIdentifier(s string) bool {
	if len(s) != identifierLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// validPath checks path-component ("/" path-component)*.
func validPath(p string) bool {
	for {
		comp, rest, more := strings.Cut(p, "/")
		if !validPathComponent(comp) {
			return false
		}
		if !more {
			return true
		}
		p = rest
	}
}

// validPathComponent checks [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*.
func validPathComponent(c string) bool {
	i := 0
	for {
		start := i
		for i < len(c) && isLowerAlnum(c[i]) {
			i++
		}
		if i == start {
			return false
		}
		if i == len(c) {
			return true
		}
		switch c[i] {
		case '.':
			i++
		case '_':
			i++
			if i < len(c) && c[i] == '_' {
				i++
			}
		case '-':
			for i < len(c) && c[i] == '-' {
				i++
			}
		default:
			return false
		}
	}
}

// validDomain checks host [":" port].
func validDomain(d string) bool {
	host := d
	if strings.HasPrefix(d, "[") {
		end := strings.IndexByte(d, ']')
		if end < 0 {
			return false
		}
		for i := 1; i < end; i++ {
			if !isHex(d[i]) && d[i] != ':' {
				return false
			}
		}
		if end == 1 {
			return false
		}
		return validPort(d[end+1:], true)
	}
	if i := strings.IndexByte(d, ':'); i >= 0 {
		host = d[:i]
		if !validPort(d[i:], false) {
			return false
		}
	}
	for _, comp := range strings.Split(host, ".") {
		if comp == "" || !isAlnum(comp[0]) || !isAlnum(comp[len(comp)-1]) {
			return false
		}
		for i := 0; i < len(comp); i++ {
			if !isAlnum(comp[i]) && comp[i] != '-' {
				return false
			}
		}
	}
	return true
}

// validPort checks an optional ":" [0-9]+ suffix.
func validPort(s string, optional bool) bool {
	if s == "" {
		return optional
	}
	if s[0] != ':' || len(s) == 1 {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// validTag checks [\w][\w.-]{0,127}.
func validTag(t string) bool {
	if t == "" || len(t) > 128 || !isWord(t[0]) {
		return false
	}
	for i := 1; i < len(t); i++ {
		if !isWord(t[i]) && t[i] != '.' && t[i] != '-' {
			return false
		}
	}
	return true
}

// validDigest checks algorithm ":" hex{32,}.
func validDigest(d string) bool {
	alg, hex, ok := strings.Cut(d, ":")
	if !ok || len(hex) < 32 {
		return false
	}
	for i := 0; i < len(hex); i++ {
		if !isHex(hex[i]) {
			return false
		}
	}
	// [A-Za-z][A-Za-z0-9]* ([-_+.][A-Za-z][A-Za-z0-9]*)*
	i := 0
	for {
		if i >= len(alg) || !(alg[i] >= 'a' && alg[i] <= 'z' || alg[i] >= 'A' && alg[i] <= 'Z') {
			return false
		}
		i++
		for i < len(alg) && isAlnum(alg[i]) {
			i++
		}
		if i == len(alg) {
			return true
		}
		switch alg[i] {
		case '-', '_', '+', '.':
			i++
		default:
			return false
		}
	}
}
