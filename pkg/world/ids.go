package world

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"
)

// Generated ids (docs/replay.md, "Generated ids"). Every id the world
// invents is a function of what identifies the thing it names, never of how
// many things were made before it, so that adding or removing one event
// never renumbers another event's run:
//
//   - a record, issue, message, transfer or email a call creates: the
//     call's idempotency key, which the interpreter derives from (event
//     uuid, flow, card path);
//   - a user (seeded from an event, described by a world file without an
//     id, or created by a call): the user's natural key, the lower-cased
//     email, login or username the app keys users by, so a user has the
//     same id whichever event or call brought them in.
//
// A candidate that is already taken (a collision, or a second create under
// the same key: a retried non-idempotent call) is replaced by the next
// candidate of the same seed, so the answer stays deterministic. A call
// without an idempotency key (a keyless call over `jml sandbox`, a world
// file record without an id) falls back to the model's counter.

// idHash is the SHA-256 an id is cut from.
type idHash [32]byte

// newID returns the first id format makes from the hash of (kind, seed, n),
// for n = 0, 1, …, that taken does not report. kind keeps the ids of
// different things apart when they share a seed.
func newID(kind, seed string, format func(idHash) string, taken func(string) bool) string {
	for n := 0; ; n++ {
		s := kind + "\x00" + seed
		if n > 0 {
			s += "\x00" + strconv.Itoa(n)
		}
		if id := format(sha256.Sum256([]byte(s))); taken == nil || !taken(id) {
			return id
		}
	}
}

// number returns a number in [lo, hi) from the hash's first eight bytes.
func (h idHash) number(lo, hi uint64) uint64 {
	return lo + binary.BigEndian.Uint64(h[:8])%(hi-lo)
}

// number2 is number from the hash's next eight bytes, for a second number
// independent of the first.
func (h idHash) number2(lo, hi uint64) uint64 {
	return lo + binary.BigEndian.Uint64(h[8:16])%(hi-lo)
}

// hex returns n (even, at most 64) lower-case hex digits.
func (h idHash) hex(n int) string { return hex.EncodeToString(h[:n/2]) }

// chars returns n (at most 32) characters of alphabet.
func (h idHash) chars(n int, alphabet string) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[int(h[i])%len(alphabet)]
	}
	return string(b)
}

const (
	digits = "0123456789"
	base36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

// key returns the call's idempotency key: the seed of the ids it creates,
// "" when it has none.
func (c *call) key() string { return c.req.IdempotencyKey }
