package sopsx

// Status tells what Encrypt did with the earlier encrypted copy it was given.
type Status int

const (
	// New: no earlier copy; a fresh data key and fresh IVs.
	New Status = iota
	// Unchanged: the earlier copy decrypts to the same object with the same recipients and
	// settings; it is returned as it was (byte-identical when written).
	Unchanged
	// Updated: the earlier copy decrypts but the object changed; its data key is reused and
	// unchanged values keep their IVs, so only changed values, the MAC and lastmodified
	// differ (the `sops edit` recipe).
	Updated
	// Rekeyed: the earlier copy decrypts (or was not needed) but the recipients or the
	// encryption settings changed; encrypted afresh with a new data key.
	Rekeyed
	// Reencrypted: an earlier copy exists but cannot be read (no key at hand, wrong key,
	// modified data); encrypted afresh with a new data key. Result.Reason says why.
	Reencrypted
)

// String describes the status for a message.
func (s Status) String() string {
	switch s {
	case New:
		return "encrypted with a new data key"
	case Unchanged:
		return "unchanged: the earlier ciphertext is kept"
	case Updated:
		return "updated with the earlier data key: unchanged values keep their ciphertext"
	case Rekeyed:
		return "encrypted with a new data key: the recipients or encryption settings changed"
	case Reencrypted:
		return "re-encrypted with a new data key: the earlier encrypted copy could not be decrypted"
	default:
		return "unknown status"
	}
}
