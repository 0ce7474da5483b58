package fn

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"

	"pullgen.dev/pullgen/internal/core/credsource"
	"pullgen.dev/pullgen/schema/v1alpha1"
)

// ExpiryWindow is how far ahead the function (spec.check) warns of an expiring credential.
const ExpiryWindow = 14 * 24 * time.Hour

// expiry is when the credential of one registry expires.
type expiry struct {
	field string
	at    time.Time
}

// readExpiries reads the expiry of every registry that declares one. A source that cannot
// be read is an error, unless keysOnly (the pull check of a build needs no expiry).
func readExpiries(pa *v1alpha1.PullAccess, r *credsource.Resolver, keysOnly bool) ([]expiry, Problems) {
	var out []expiry
	var p Problems
	numbers := *r
	numbers.Numbers = true // Harbor writes expires_at as a JSON number
	for i, reg := range pa.Spec.Registries {
		f := fmt.Sprintf("spec.registries[%d]", i)
		switch {
		case reg.ExpiresAt != "":
			at, _ := parseExpiry(reg.ExpiresAt, false) // validated
			out = append(out, expiry{f + ".expiresAt", at})
		case reg.ExpiresAtFrom != nil:
			f += ".expiresAtFrom"
			v, err := numbers.Value(*reg.ExpiresAtFrom)
			if err == nil {
				var at time.Time
				if at, err = parseExpiry(v, true); err == nil && !at.IsZero() {
					out = append(out, expiry{f, at})
				}
			}
			if err != nil && !keysOnly {
				p.add(f, err.Error())
			}
		}
	}
	return out, p
}

// parseExpiry reads an expiry: RFC 3339, and from a source also a date (midnight UTC) or
// Unix seconds, as token files carry it (GitLab's expires_at, Harbor's, where -1 means
// never: the zero time). The error never quotes a value read from a source.
func parseExpiry(v string, fromSource bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if !fromSource {
		return time.Time{}, errors.New("is not an RFC 3339 time such as 2027-03-01T00:00:00Z")
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return time.Time{}, nil
		}
		return time.Unix(n, 0), nil
	}
	return time.Time{}, errors.New("the value is not a time: want RFC 3339 (2027-03-01T00:00:00Z), a date (2027-03-01) or Unix seconds")
}

// formatExpiry is the form of the expires-at annotation: UTC, RFC 3339, whole seconds.
func formatExpiry(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

// soonest returns the earliest expiry, the zero time when there is none.
func soonest(list []expiry) time.Time {
	if len(list) == 0 {
		return time.Time{}
	}
	return slices.MinFunc(list, func(a, b expiry) int { return a.at.Compare(b.at) }).at
}

// expiryProblems warns of every registry whose credential has expired (whatever
// spec.check says: a rotation may be under way) or, when the check runs, expires within
// ExpiryWindow.
func expiryProblems(pa *v1alpha1.PullAccess, list []expiry, now time.Time) Problems {
	var p Problems
	for _, e := range list {
		var msg string
		switch {
		case !e.at.After(now):
			msg = "the credential expired on " + formatExpiry(e.at) + ": pulls with it fail; rotate it"
		case pa.CheckMode() != v1alpha1.CheckOff && !e.at.After(now.Add(ExpiryWindow)):
			msg = "the credential expires on " + formatExpiry(e.at) + ", within 14 days: rotate it before then"
		default:
			continue
		}
		p = append(p, Problem{Severity: framework.Warning, Field: e.field, Message: msg})
	}
	return p
}
