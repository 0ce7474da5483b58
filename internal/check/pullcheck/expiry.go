package pullcheck

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"pullgen.dev/pullgen/internal/core/manifest"
)

// Rules of credential expiry.
const (
	RuleCredentialExpired  = "credential-expired"
	RuleCredentialExpiring = "credential-expiring"
)

// secretExpiry is what a Secret's manifest.AnnotationExpiresAt says.
type secretExpiry struct {
	// at is the expiry, zero when the Secret has none.
	at time.Time
	// text is the annotation as written; err is set when it is not a time.
	text string
	err  bool
	line int
}

// readSecretExpiry reads the manifest.AnnotationExpiresAt of a Secret node.
func readSecretExpiry(e *secretEntry) {
	e.expiry = readExpiry(path(e.node, "metadata", "annotations", manifest.AnnotationExpiresAt), e.ref)
}

// readExpiry reads an expiry annotation's value node n of the object ref.
func readExpiry(n *yaml.Node, ref objRef) secretExpiry {
	var ex secretExpiry
	v := scalar(n)
	if v == "" || manifest.IsHeld(v) { // held: pullgen render puts it in place later
		return ex
	}
	ex.text, ex.line = v, ref.line(n.Line)
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		ex.err = true
		return ex
	}
	ex.at = t
	return ex
}

// expiresAtField is the field path of a Secret's manifest.AnnotationExpiresAt in findings.
func (e *secretEntry) expiresAtField() string {
	return e.annotationsField() + "[" + manifest.AnnotationExpiresAt + "]"
}

// ParseWindow reads an --expiring-within value: a Go duration (336h) or days (14d), or
// both (1d12h).
func ParseWindow(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("%q is not a duration such as 14d or 336h", s)
	}
	var days time.Duration
	rest := s
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%q is not a duration such as 14d or 336h", s)
		}
		days, rest = time.Duration(n)*24*time.Hour, s[i+1:]
	}
	var d time.Duration
	if rest != "" {
		var err error
		if d, err = time.ParseDuration(rest); err != nil || d < 0 {
			return 0, fmt.Errorf("%q is not a duration such as 14d or 336h", s)
		}
	}
	return days + d, nil
}

// describeWindow writes a window in days when it is whole days.
func describeWindow(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return plural(int(d/(24*time.Hour)), "day")
	}
	return d.String()
}

// expiryState says whether an expiry is reported: the rule and severity, or ok false.
func (a *analyzer) expiryState(e secretExpiry) (rule string, sev Severity, ok bool) {
	switch {
	case e.at.IsZero():
		return "", "", false
	case !e.at.After(a.now):
		return RuleCredentialExpired, SeverityError, true
	case a.opts.ExpiringWithin > 0 && !e.at.After(a.now.Add(a.opts.ExpiringWithin)):
		return RuleCredentialExpiring, SeverityWarning, true
	}
	return "", "", false
}

// expiryText says when a credential expires or expired.
func (a *analyzer) expiryText(e secretExpiry) string {
	if !e.at.After(a.now) {
		return "expired on " + formatTime(e.at)
	}
	return "expire on " + formatTime(e.at) + ", within " + describeWindow(a.opts.ExpiringWithin)
}

// formatTime writes a time as the annotation and the JSON report do: UTC, RFC 3339.
func formatTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}

// secretExpiries reports every Secret of the input whose credentials have expired or
// expire within the window, and every expiry annotation that is not a time.
func (a *analyzer) secretExpiries() {
	for _, e := range a.ix.secrets {
		ex := e.expiry
		if ex.err {
			a.objectFinding(e.ref, e.expiresAtField(), ex.line, RuleCredentialExpiring, SeverityWarning,
				fmt.Sprintf("%s %q is not an RFC 3339 time such as 2027-03-01T00:00:00Z: when its credentials expire is unknown", manifest.AnnotationExpiresAt, ex.text))
			continue
		}
		rule, sev, ok := a.expiryState(ex)
		if !ok {
			continue
		}
		msg := "the credentials of Secret " + e.ref.m.name + " " + a.expiryText(ex) + ": pulls with them fail"
		if rule == RuleCredentialExpiring {
			msg += " from then on"
		}
		a.objectFinding(e.ref, e.expiresAtField(), ex.line, rule, sev, msg+"; rotate them (pullgen generate) and roll the new Secret out")
		a.findings[len(a.findings)-1].ExpiresAt = formatTime(ex.at)
	}
}

// workloadExpiries reports, for one pod, each of its pull secrets whose credentials the
// kubelet would try for one of its images and that have expired or expire within the
// window.
func (a *analyzer) workloadExpiries(w *workload, refs []pullSecretRef, own bool, used map[string]bool) {
	for _, r := range refs {
		if !used[r.name] {
			continue
		}
		e := a.ix.secrets[nsName{w.ref.ns, r.name}]
		if e == nil {
			continue
		}
		rule, sev, ok := a.expiryState(e.expiry)
		if !ok {
			continue
		}
		field, line, via := a.secretField(r), w.ref.line(r.line), ""
		if !own {
			field, line, via = w.pod.saField, w.ref.line(w.pod.saLine), " (through ServiceAccount "+w.pod.serviceAccount+")"
		}
		a.objectFinding(w.ref, field, line, rule, sev, fmt.Sprintf("the pod pulls with Secret %s%s, whose credentials %s", r.name, via, a.expiryText(e.expiry)))
		a.findings[len(a.findings)-1].ExpiresAt = formatTime(e.expiry.at)
	}
}
