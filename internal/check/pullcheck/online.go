package pullcheck

import (
	"context"
	"fmt"
	"strings"

	"pullgen.dev/pullgen/internal/untrusted/bound"

	"pullgen.dev/pullgen/internal/check/online"
)

// Rules of `pullgen check --online`: one finding per image, next to the image's offline
// finding.
const (
	RuleOnlineVerified      = "online-verified"
	RuleOnlineDenied        = "online-denied"
	RuleOnlineNotFound      = "online-not-found"
	RuleOnlineAnonymous     = "online-anonymous-pull"
	RuleOnlineUnverified    = "online-unverified"
	RuleOnlineUnreachable   = "online-unreachable"
	RuleOnlineRegistryError = "online-registry-error"
	RuleOnlineSkipped       = "online-skipped"
)

// OnlineRules lists the rules of --online; reports list them only when --online ran.
var OnlineRules = []RuleInfo{
	{RuleOnlineDenied, SeverityError, "The registry or its auth server refuses every credential the kubelet would send (401/403): wrong, revoked or expired, without pull access to the repository, or, for an anonymous pull, a registry that requires a credential."},
	{RuleOnlineNotFound, SeverityError, "The registry has no such repository, tag or digest (404)."},
	{RuleOnlineAnonymous, SeverityWarning, "The registry serves the image to anyone although the pod pulls it with a credential: the credential is not checked."},
	{RuleOnlineUnverified, SeverityWarning, "A credential the kubelet would try could not be tried (an encrypted Secret without its key), and none that could be tried worked."},
	{RuleOnlineUnreachable, SeverityWarning, "The registry or its auth server cannot be reached from here (connection, DNS, timeout, TLS, plain HTTP refused)."},
	{RuleOnlineRegistryError, SeverityWarning, "The registry answered, but not as the registry API says (5xx, 429, a bad challenge or realm)."},
	{RuleOnlineVerified, SeverityInfo, "The registry served the image's manifest with the credential the kubelet would use first successfully (or without one, for an anonymous pull)."},
	{RuleOnlineSkipped, SeverityInfo, "The image is not verified online: the OpenShift internal registry is reachable only inside the cluster."},
}

// OnlineCheck is, on a finding of --online, what the registry said.
type OnlineCheck struct {
	// Reference is the reference asked for: registry/repository:tag or @digest.
	Reference string `json:"reference"`
	// VerifiedWith is the credential that worked, absent when none did or the pull is
	// anonymous.
	VerifiedWith *Credential `json:"verifiedWith,omitempty"`
	// AnonymousWorks reports that the registry serves the image without a credential.
	AnonymousWorks bool `json:"anonymousWorks,omitempty"`
	// Attempts are the credentials tried, in the kubelet's order, up to the first that worked.
	Attempts []OnlineAttempt `json:"attempts"`
}

// OnlineAttempt is one credential tried.
type OnlineAttempt struct {
	// Credential is absent for an anonymous attempt.
	Credential *Credential `json:"credential,omitempty"`
	// AuthServer is the host of the token realm when the registry delegates authentication.
	AuthServer string `json:"authServer,omitempty"`
	// AuthServerCredential is the Secret's entry sent to that auth server, when it is not
	// Credential.
	AuthServerCredential *Credential `json:"authServerCredential,omitempty"`
	// Outcome is verified, not-found, unverified, denied, registry-error or unreachable.
	Outcome string `json:"outcome"`
	// Status is the HTTP status that decided, absent when none did.
	Status int `json:"status,omitempty"`
	// Reason says what happened, never with a credential.
	Reason string `json:"reason"`
}

// Verifier asks the registries whether the credentials of probes work, a result per probe
// in order: package online's Verify, with the settings of --online.
type Verifier func(ctx context.Context, probes []online.Probe) []online.Result

// Check runs the check over objs: the offline analysis (Analyze) and, when opts.Verify is
// set, the verification of every image's credentials against its registry, whose finding
// follows the image's offline finding. Findings are sorted.
func Check(ctx context.Context, objs []Object, opts Options) []Finding {
	ix, findings := analyze(objs, opts)
	if opts.Verify == nil {
		return findings
	}
	return verifyOnline(ctx, ix, findings, opts)
}

// verifyOnline verifies the credentials of every image finding against its registry with
// opts.Verify and returns findings with one online finding added per image, sorted.
// Credentials come from the Secrets of ix, the index the offline check read (and decrypted
// with opts.Decrypt) them into, each once; findings are not modified.
func verifyOnline(ctx context.Context, ix *index, findings []Finding, opts Options) []Finding {
	values := &secretValues{ix: ix, opts: opts, read: map[nsName]*secretAuths{}, labels: map[string]Credential{}}
	var probes []online.Probe
	var of []Finding // the online finding of each probe, filled below
	out := append([]Finding(nil), findings...)
	for i := range findings {
		f := findings[i]
		if !f.IsImage() || f.Online != nil {
			continue
		}
		if repo, err := NormalizeImage(f.Image); err == nil && internalRegistryNamespace(repo) != "" {
			f.Severity, f.Rule = SeverityInfo, RuleOnlineSkipped
			f.Message = "online: not verified: the OpenShift internal registry is reachable only inside the cluster"
			f.Online = &OnlineCheck{Reference: f.Image, Attempts: []OnlineAttempt{}}
			out = append(out, f)
			continue
		}
		if len(f.Credentials) == 0 && f.Rule != RuleAnonymousPull || f.Severity == SeverityError {
			continue // nothing to verify, or the offline check already says the pull fails
		}
		p := online.Probe{Image: f.Image}
		for _, c := range f.Credentials {
			p.Credentials = append(p.Credentials, values.credential(f.Namespace, c))
		}
		probes = append(probes, p)
		of = append(of, f)
	}
	for i, r := range opts.Verify(ctx, probes) {
		out = append(out, onlineFinding(of[i], r, values.labels))
	}
	SortFindings(out)
	return out
}

// onlineFinding turns a result into the image's online finding; labels are the Secret
// entries by their label.
func onlineFinding(f Finding, r online.Result, labels map[string]Credential) Finding {
	oc := &OnlineCheck{Reference: r.Reference, AnonymousWorks: r.AnonymousWorks, Attempts: make([]OnlineAttempt, 0, len(r.Attempts))}
	var parts []string
	for _, a := range r.Attempts {
		oa := OnlineAttempt{AuthServer: a.AuthServer, Outcome: string(a.Outcome), Status: a.Status, Reason: a.Reason}
		who := "without a credential"
		if a.Credential >= 0 {
			c := f.Credentials[a.Credential]
			oa.Credential = &c
			who = describeCreds([]Credential{c})
		}
		if c, ok := labels[a.AuthServerLabel]; ok {
			oa.AuthServerCredential = &c
		}
		oc.Attempts = append(oc.Attempts, oa)
		parts = append(parts, who+": "+a.Reason)
	}
	f.Online = oc
	anonymous := len(f.Credentials) == 0
	switch {
	case r.Outcome == online.Verified && !anonymous:
		c := f.Credentials[r.Used]
		oc.VerifiedWith = &c
		f.Severity, f.Rule = SeverityInfo, RuleOnlineVerified
		f.Message = "online: registry " + r.Registry + " served " + r.Reference + " with " + describeCreds([]Credential{c})
		if a := r.Attempts[len(r.Attempts)-1]; a.AuthServer != "" {
			f.Message += " (token from the auth server " + a.AuthServer + ")"
		}
		if len(parts) > 1 {
			f.Message += "; tried before it: " + strings.Join(parts[:len(parts)-1], "; ")
		}
		if r.AnonymousWorks {
			f.Severity, f.Rule = SeverityWarning, RuleOnlineAnonymous
			f.Message = "online: registry " + r.Registry + " asks for no authentication: anyone can pull " + r.Reference +
				", and the credential " + describeCreds([]Credential{c}) + " is not checked"
		}
	case r.Outcome == online.Verified:
		f.Severity, f.Rule = SeverityInfo, RuleOnlineVerified
		f.Message = "online: registry " + r.Registry + " serves " + r.Reference + " without a credential"
	case r.Reason != "":
		f.Severity, f.Rule = severityOf(r.Outcome)
		f.Message = "online: " + r.Reason + ": " + r.Reference + " is not verified"
	default:
		f.Severity, f.Rule = severityOf(r.Outcome)
		f.Message = "online: " + strings.Join(parts, "; ")
		switch {
		case r.Outcome == online.Denied && r.AnonymousWorks:
			f.Message += ": the registry serves " + r.Reference + " without a credential, but the kubelet does not fall back to an anonymous pull: the pull fails"
		case r.Outcome == online.Denied && anonymous:
			f.Message += ": no pull secret of the pod matches " + r.Registry + ": the pull fails"
		case r.Outcome == online.Denied || r.Outcome == online.NotFound:
			f.Message += ": the pull fails"
		}
	}
	return f
}

// severityOf maps a failing outcome to its severity and rule.
func severityOf(o online.Outcome) (Severity, string) {
	switch o {
	case online.Denied:
		return SeverityError, RuleOnlineDenied
	case online.NotFound:
		return SeverityError, RuleOnlineNotFound
	case online.Unreachable:
		return SeverityWarning, RuleOnlineUnreachable
	case online.RegistryError:
		return SeverityWarning, RuleOnlineRegistryError
	default:
		return SeverityWarning, RuleOnlineUnverified
	}
}

// secretValues reads the credentials of the input's Secrets, each Secret once.
type secretValues struct {
	ix   *index
	opts Options
	read map[nsName]*secretAuths
	// labels are the entries read, by the label they are given.
	labels map[string]Credential
}

// secretAuths are a Secret's auths entries with their values, or why they are unknown.
type secretAuths struct {
	entries     map[string]online.AuthEntry
	keyring     Keyring
	unavailable string
}

// credential returns the values of one credential of the offline check.
func (sv *secretValues) credential(ns string, c Credential) online.Credential {
	out := online.Credential{Label: describeCreds([]Credential{c})}
	s := sv.secret(ns, c.Secret)
	e, ok := s.entries[c.Registry]
	switch {
	case s.unavailable != "":
		out.Unavailable = s.unavailable
		return out
	case !ok:
		out.Unavailable = fmt.Sprintf("Secret %s has no readable entry %q", c.Secret, c.Registry)
		return out
	}
	out.Username, out.Password = e.Username, e.Password
	out.AuthServer = func(realm string) (online.AuthEntry, bool) {
		for _, m := range s.keyring.Lookup(realm) {
			if e, ok := s.entries[m.Registry]; ok {
				return e, true
			}
		}
		return online.AuthEntry{}, false
	}
	return out
}

// secret reads a Secret's entries once, from what the offline check read of it (the
// Secret, or its decryption).
func (sv *secretValues) secret(ns, name string) *secretAuths {
	k := nsName{ns, name}
	if s := sv.read[k]; s != nil {
		return s
	}
	s := &secretAuths{entries: map[string]online.AuthEntry{}}
	sv.read[k] = s
	info := sv.ix.secret(ns, name, sv.opts)
	switch {
	case info == nil:
		s.unavailable = "Secret " + name + " is not in the input"
		return s
	case info.sealed:
		s.unavailable = "Secret " + name + " is sealed (a SealedSecret only its controller opens): its credential is not tried"
		return s
	case info.plain == nil && sv.opts.Decrypt == nil:
		s.unavailable = "Secret " + name + " is SOPS-encrypted and no key is at hand: its credential is not tried"
		return s
	case info.plain == nil:
		s.unavailable = fmt.Sprintf("Secret %s is SOPS-encrypted and could not be decrypted with the keys at hand (%s): its credential is not tried", name, bound.OneLine(fmt.Sprint(info.decryptErr)))
		return s
	}
	raw, dataKey, _, _ := dockerConfig(info.plain)
	auths, _ := dockerAuths(raw, dataKey == DockerConfigJSONKey)
	for key, rawEntry := range auths {
		user, pass, err := decodeEntry(rawEntry)
		if err != nil {
			continue
		}
		c := Credential{Secret: name, Registry: key}
		label := describeCreds([]Credential{c})
		sv.labels[label] = c
		s.entries[key] = online.AuthEntry{Label: label, Username: user, Password: pass}
		s.keyring.Add(name, []string{key})
	}
	return s
}
