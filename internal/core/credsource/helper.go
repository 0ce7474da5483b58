package credsource

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// helperPrefix is the name prefix of docker credential helper programs.
const helperPrefix = "docker-credential-"

// maxHelperOutput bounds what is kept of a helper's stdout and stderr.
const maxHelperOutput = 1 << 20

// helperWaitDelay is how long to wait for a killed helper's children to release its
// output pipes.
const helperWaitDelay = 100 * time.Millisecond

// knownHelperMessages are the fixed error messages of docker-credential-helpers, which
// print them on stdout. Only an exact match is reported; other stdout never is.
var knownHelperMessages = []string{
	"credentials not found in native keychain",
	"no credentials server URL",
	"no credentials username",
}

// helperReply is the answer of docker-credential-<name> get.
type helperReply struct {
	ServerURL string `json:"ServerURL"`
	Username  string `json:"Username"`
	Secret    string `json:"Secret"`
}

// helperEntry asks docker-credential-<name> for the credential of serverURL, following
// the docker credential-helper protocol: "get" as the argument, the server URL on stdin,
// JSON on stdout.
func (r *Resolver) helperEntry(name, serverURL string) (Entry, error) {
	if name == "" || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, "-") {
		return Entry{}, fmt.Errorf("credential helper name %q is not a plain name", name)
	}
	prog := helperPrefix + name
	path, err := r.lookPath(prog)
	if err != nil {
		return Entry{}, fmt.Errorf("credential helper %s not found (looked it up in PATH): %w", prog, err)
	}
	timeout := r.helperTimeout()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "get")
	cmd.Stdin = strings.NewReader(serverURL + "\n")
	stdout := &capBuffer{max: maxHelperOutput}
	stderr := &capBuffer{max: maxHelperOutput}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = helperWaitDelay
	err = cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		return Entry{}, fmt.Errorf("running %s get: no answer within %s, killed", prog, timeout)
	}
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return Entry{}, fmt.Errorf("running %s get: %s: %s", prog, exitErr.ProcessState, helperMessage(stderr.Bytes(), stdout.Bytes()))
		}
		return Entry{}, fmt.Errorf("running %s get: %w", prog, err)
	}
	var reply helperReply
	if err := json.Unmarshal(stdout.Bytes(), &reply); err != nil {
		// The JSON error could quote the output, which holds the secret: say no more.
		return Entry{}, fmt.Errorf("running %s get: the answer is not the credential-helper JSON {ServerURL, Username, Secret}", prog)
	}
	if reply.Username == tokenUsername {
		return Entry{}, fmt.Errorf("%s answered with an identity token (username %s): %w", prog, tokenUsername, errIdentityToken)
	}
	if reply.Secret == "" {
		return Entry{}, fmt.Errorf("%s answered with an empty secret", prog)
	}
	return Entry{Key: serverURL, Username: reply.Username, Password: reply.Secret}, nil
}

// helperMessage is the first non-empty line of the helper's stderr, or a known fixed
// message printed on stdout; never any other stdout.
func helperMessage(stderr, stdout []byte) string {
	for _, line := range strings.Split(string(stderr), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			if len(line) > 200 {
				line = strings.ToValidUTF8(line[:200], "") + "…"
			}
			return line
		}
	}
	out := strings.TrimSpace(string(stdout))
	for _, m := range knownHelperMessages {
		if out == m {
			return m
		}
	}
	return "no message on stderr"
}

// capBuffer keeps the first max bytes written to it and discards the rest.
type capBuffer struct {
	buf bytes.Buffer
	max int
}

func (c *capBuffer) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); room > 0 {
		if len(p) > room {
			c.buf.Write(p[:room])
		} else {
			c.buf.Write(p)
		}
	}
	return len(p), nil
}

// Bytes returns what was kept.
func (c *capBuffer) Bytes() []byte { return c.buf.Bytes() }
