package project

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// The pack holds the per-file entries (the kinds in packed) a run used, in
// one file named KEY.pack, KEY the key of the run's pack (usePack):
//
//	jml-validate-pack KEY
//	ENTRY-KEY VALUE        one line an entry: its key, a space, its JSON
//	…
//	end CRC32C             of every byte before this line
//
// An entry in the pack is what it would be in a file of its own: the
// answer to its key, read as strictly. A pack that is cut short, not of
// this shape, of another key, or whose bytes do not hash to its last line
// holds nothing: every entry is a miss.

const packHead = "jml-validate-pack "

// getPacked reads the entry of key from the pack into v, and returns its
// value as it is kept.
func (c *cache) getPacked(key string, v any) ([]byte, bool) {
	data, ok := c.packed(key)
	return data, ok && decodeValue(data, v)
}

// packed returns the value of the entry of key in the pack, its JSON not
// decoded, and keeps it for the next pack.
func (c *cache) packed(key string) ([]byte, bool) {
	c.packOnce.Do(c.readPack)
	data, ok := c.packIn[key]
	if !ok {
		return nil, false
	}
	c.mu.Lock()
	c.packOut[key] = data
	c.mu.Unlock()
	return data, true
}

// putPacked puts the entry of key in the next pack, and returns its value
// as it is kept (nil when v does not encode).
func (c *cache) putPacked(key string, v any) []byte {
	data, err := encodeValue(v)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	c.packOut[key] = data
	c.mu.Unlock()
	return data
}

// empty reports whether this run's pack holds no entry: no file's answer
// can come from the cache.
func (c *cache) empty() bool {
	c.packOnce.Do(c.readPack)
	return len(c.packIn) == 0
}

func (c *cache) readPack() {
	if c.dir == "" || c.pack == "" {
		return
	}
	data, err := os.ReadFile(filepath.Join(c.dir, c.pack+".pack"))
	if err != nil {
		return
	}
	c.packIn, _ = parsePack(c.pack, data)
}

// The pack and the stat index are sealed files: a head line, a body, and
// a last line "end CRC32C", the CRC-32C (Castagnoli) of every byte before
// it, in 8 hexadecimal digits. One that is cut short, altered or of another
// head holds nothing. The seal is against damage (a disk error, a file cut
// short by a full disk, an edit), not an adversary: whoever can write the
// cache directory could write a right seal of any kind, and every entry's
// key is checked on its own. CRC-32C is computed by the CPU's own
// instruction: sealing the 2 MB pack of 1,000 flows with sha256 took
// ~4 ms each way, a tenth of what one file changed costs.

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// sealLen is the length of a sealed file's last line.
const sealLen = len("end ") + 8 + 1

// seal returns the last line of a sealed file whose bytes before it are
// sum's (a CRC-32C of them).
func seal(sum uint32) string { return fmt.Sprintf("end %08x\n", sum) }

// sealOf returns the last line of a sealed file whose bytes before it are
// data: what the tests build a sealed file with.
func sealOf(data []byte) string { return seal(crc32.Checksum(data, castagnoli)) }

// unseal returns the body of a sealed file with the given head line
// (newline included); false when the file is not whole.
func unseal(data []byte, head string) ([]byte, bool) {
	if len(data) < len(head)+sealLen || !bytes.HasPrefix(data, []byte(head)) {
		return nil, false
	}
	body := data[:len(data)-sealLen]
	if string(data[len(body):]) != sealOf(body) {
		return nil, false
	}
	return body[len(head):], true
}

// writeSealed writes the cache's file name whole, sealed: head (newline
// included), what body writes, and the last line.
func (c *cache) writeSealed(name, head string, body func(w io.Writer)) {
	c.writeFile(name, func(w *bufio.Writer) error {
		h := crc32.New(castagnoli)
		hw := io.MultiWriter(w, h)
		io.WriteString(hw, head)
		body(hw)
		_, err := io.WriteString(w, seal(h.Sum32()))
		return err
	})
}

// parsePack returns the entries of a pack of the given key.
func parsePack(key string, data []byte) (map[string][]byte, bool) {
	body, ok := unseal(data, packHead+key+"\n")
	if !ok {
		return nil, false
	}
	out := map[string][]byte{}
	for rest := body; len(rest) > 0; {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			return nil, false
		}
		line := rest[:i]
		rest = rest[i+1:]
		const k = 2 * sha256.Size
		if len(line) <= k+1 || line[k] != ' ' {
			return nil, false
		}
		out[string(line[:k])] = line[k+1:]
	}
	return out, true
}

// flushPack writes the next pack, the entries this run used or wrote,
// when they are not the pack it read: an entry written, or one it held
// and this run did not use (a file changed, or went). A run whose entries
// were all in the pack, and used, leaves it alone.
func (c *cache) flushPack() {
	if c.dir == "" || c.pack == "" {
		return
	}
	c.packOnce.Do(c.readPack)
	same := len(c.packOut) == len(c.packIn)
	for k, v := range c.packOut {
		if !same {
			break
		}
		old, ok := c.packIn[k]
		same = ok && bytes.Equal(old, v)
	}
	if same {
		return
	}
	c.mu.Lock()
	c.wrote = true
	c.mu.Unlock()
	keys := make([]string, 0, len(c.packOut))
	for k := range c.packOut {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	c.writeSealed(c.pack+".pack", packHead+c.pack+"\n", func(w io.Writer) {
		for _, k := range keys {
			io.WriteString(w, k)
			io.WriteString(w, " ")
			w.Write(c.packOut[k])
			io.WriteString(w, "\n")
		}
	})
}
