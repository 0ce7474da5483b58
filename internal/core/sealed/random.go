package sealed

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MinSeedBytes is the least a sealing seed holds: 256 bits of secret.
const MinSeedBytes = 32

// seedPrefix starts the text of a seed NewSeed makes, so that it reads as what it is.
const seedPrefix = "pullgen-sealing-seed-v1:"

// NewSeed makes a sealing seed from 32 random bytes, as text to keep in a SOPS-encrypted
// file or a CI secret.
func NewSeed() (string, error) {
	b := make([]byte, MinSeedBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("making a sealing seed: %w", err)
	}
	return seedPrefix + base64.StdEncoding.EncodeToString(b), nil
}

// ParseSeed reads a sealing seed: the text NewSeed makes, or any secret text of at least
// MinSeedBytes bytes (`openssl rand -base64 32` makes one). Surrounding white space does
// not count. The error never quotes the seed.
func ParseSeed(text string) ([]byte, error) {
	text = strings.TrimSpace(text)
	if rest, ok := strings.CutPrefix(text, seedPrefix); ok {
		b, err := base64.StdEncoding.DecodeString(rest)
		if err != nil || len(b) < MinSeedBytes {
			return nil, errors.New("the sealing seed is damaged: it starts like one pullgen made but does not decode to 32 bytes")
		}
		return b, nil
	}
	if len(text) < MinSeedBytes {
		return nil, fmt.Errorf("the sealing seed has %d bytes, fewer than %d: make one with pullgen or `openssl rand -base64 32`", len(text), MinSeedBytes)
	}
	return []byte(text), nil
}

// derivedRandom is the random source HybridEncrypt draws from when sealing one value: an
// AES-256-CTR key stream under a key that is HMAC-SHA256, keyed by the seed, of the value's
// whole context (see the package documentation). It never ends.
func derivedRandom(seed []byte, c *Certificate, s Scope, namespace, name, dataKey string, plaintext []byte) io.Reader {
	mac := hmac.New(sha256.New, seed)
	field := func(b []byte) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		mac.Write(n[:])
		mac.Write(b)
	}
	field([]byte("pullgen.dev sealed-secret randomness v1"))
	field(c.keyID[:])
	field([]byte(s.String()))
	field([]byte(namespace))
	field([]byte(name))
	field([]byte(dataKey))
	field(plaintext)
	block, _ := aes.NewCipher(mac.Sum(nil)) // a 32-byte key always makes a cipher
	return keyStream{cipher.NewCTR(block, make([]byte, aes.BlockSize))}
}

// keyStream reads the key stream of a stream cipher.
type keyStream struct{ s cipher.Stream }

func (k keyStream) Read(p []byte) (int, error) {
	clear(p)
	k.s.XORKeyStream(p, p)
	return len(p), nil
}
