package bound

import (
	"strings"
)

// ExcerptLen is the most of any one piece of input an error message quotes.
const ExcerptLen = 200

// MaxLineLen and MaxLines bound a whole message (Message).
const (
	MaxLineLen = 2*ExcerptLen + 100
	MaxLines   = 50
)

// Excerpt is s cut to ExcerptLen bytes (on a rune boundary), marked when cut.
func Excerpt(s string) string {
	return cut(s, ExcerptLen)
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

// contentMarkers start the parts of parsers' messages that print what they parsed: the
// YAML to JSON converter prints a whole mapping used as a key, kyaml prints the node it
// could not use, kustomize an object without a name. Render's messages stop before them:
// a file's content is never shown.
var contentMarkers = []string{"invalid map key:", "node contents:", "in object {{"}

// Message makes a message fit for a log line that Argo CD keeps in an Application's
// status: what parsers print of the content they read is dropped, every run of text
// without a space (a quoted value, a path) is cut to ExcerptLen, and each line and the
// number of lines are bounded.
func Message(msg string) string {
	for _, m := range contentMarkers {
		if i := strings.Index(msg, m); i >= 0 {
			end := strings.IndexByte(msg[i:], '\n')
			rest := ""
			if end >= 0 {
				rest = msg[i+end:]
			}
			msg = msg[:i+len(m)] + " (content not shown)" + rest
		}
	}
	lines := strings.Split(msg, "\n")
	if len(lines) > MaxLines {
		lines = append(lines[:MaxLines], "…")
	}
	for i, line := range lines {
		words := strings.Split(line, " ")
		for j, w := range words {
			words[j] = Excerpt(w)
		}
		lines[i] = cut(strings.Join(words, " "), MaxLineLen)
	}
	return strings.Join(lines, "\n")
}

// OneLine folds a multi-line message onto one line, runs of white space made one space.
func OneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// boundedError is an error whose message went through Message.
type boundedError struct {
	msg   string
	cause error
}

// Error is err with its message bounded (Message); errors.Is and As still see the cause.
func Error(err error) error {
	if err == nil {
		return nil
	}
	return boundedError{msg: Message(err.Error()), cause: err}
}

func (e boundedError) Error() string { return e.msg }

func (e boundedError) Unwrap() error { return e.cause }
