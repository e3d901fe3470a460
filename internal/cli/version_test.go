package cli

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The test binary is a Go executable with a build ID, as the go command
// reads it.
func TestFindBuildIDOfTestBinary(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	head := make([]byte, buildIDReadSize)
	n, _ := f.Read(head)
	id, ok := findBuildID(head[:n])
	if !ok || !strings.Contains(id, "/") {
		t.Fatalf("build ID of %s: %q, %v", exe, id, ok)
	}
	if got, err := executableID(); err != nil || got != "go:"+id {
		t.Fatalf("executableID() = %q, %v; want go:%s", got, err, id)
	}
	if goCmd, err := exec.LookPath("go"); err == nil {
		out, err := exec.Command(goCmd, "tool", "buildid", exe).Output()
		if err != nil {
			t.Fatalf("go tool buildid: %v", err)
		}
		if want := strings.TrimSpace(string(out)); id != want {
			t.Fatalf("build ID %q, go tool buildid says %q", id, want)
		}
	}
}

func TestFindBuildIDRaw(t *testing.T) {
	junk := bytes.Repeat([]byte{0, 0xff, 'G', '"'}, 300)
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"marker", concat(junk, []byte("\xff Go build ID: \"abc/def-_1\"\n \xff"), junk), "abc/def-_1"},
		{"at the start", []byte("\xff Go build ID: \"x/y/z/w\"\n \xff"), "x/y/z/w"},
		{"escaped", []byte("\xff Go build ID: \"a\\\"b\"\n \xff"), `a"b`},
		{"no marker", junk, ""},
		{"no end", concat(junk, []byte("\xff Go build ID: \"abc/def"), junk), ""},
		{"empty", []byte("\xff Go build ID: \"\"\n \xff"), ""},
		{"not quoted", []byte("\xff Go build ID: \"a\nb\"\n \xff"), ""},
	} {
		id, ok := findBuildID(tc.data)
		if id != tc.want || ok != (tc.want != "") {
			t.Errorf("%s: got %q, %v; want %q", tc.name, id, ok, tc.want)
		}
	}
}

func TestFindBuildIDELF(t *testing.T) {
	const id = "actionID/contentID"
	for _, order := range []byteOrder{binary.LittleEndian, binary.BigEndian} {
		data := elfWithNotes(order,
			note(order, "GNU\x00", 3, []byte("0123456789abcdef0123")),
			note(order, "Go\x00\x00", 4, []byte(id)),
		)
		if got, ok := findBuildID(data); !ok || got != id {
			t.Errorf("%v: got %q, %v", order, got, ok)
		}
		// A note segment beyond what was read is not looked for.
		if got, ok := findBuildID(data[:len(data)-16-4]); ok {
			t.Errorf("%v, truncated: got %q", order, got)
		}
		// Without the Go note, there is no build ID.
		if got, ok := findBuildID(elfWithNotes(order, note(order, "GNU\x00", 3, []byte("0123")))); ok {
			t.Errorf("%v, GNU note only: got %q", order, got)
		}
	}
}

func TestStateBuild(t *testing.T) {
	for _, v := range []string{"v1.2.3", "v0.0.0-20261127085028-ad6edd1619fc"} {
		if b, ok := stateBuild(v); b != "" || !ok {
			t.Fatalf("%q: %q, %v", v, b, ok)
		}
	}
	for _, v := range []string{"", develVersion, "v0.0.0-20261127085028-ad6edd1619fc+dirty", "v1.2.4-0.20261127085028-ad6edd1619fc+dirty"} {
		b, ok := stateBuild(v)
		if !ok || !strings.HasPrefix(b, "go:") {
			t.Fatalf("%q: %q, %v", v, b, ok)
		}
	}
}

type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// note is an ELF note: sizes, type, name and descriptor, padded to 4.
func note(order binary.AppendByteOrder, name string, typ uint32, desc []byte) []byte {
	var b []byte
	b = order.AppendUint32(b, uint32(len(name)))
	b = order.AppendUint32(b, uint32(len(desc)))
	b = order.AppendUint32(b, typ)
	b = append(b, name...)
	b = append(b, desc...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// elfWithNotes is the start of a 64-bit ELF executable: the header, one
// PT_NOTE program header and the notes, then some padding.
func elfWithNotes(order byteOrder, notes ...[]byte) []byte {
	const ehsize, phentsize = 64, 56
	body := concat(notes...)
	data := make([]byte, ehsize+phentsize)
	copy(data, "\x7fELF")
	data[4] = 2 // ELFCLASS64
	data[5] = 1 // ELFDATA2LSB
	if order == byteOrder(binary.BigEndian) {
		data[5] = 2
	}
	data[6] = 1                           // EV_CURRENT
	order.PutUint16(data[16:], 2)         // ET_EXEC
	order.PutUint16(data[18:], 62)        // EM_X86_64
	order.PutUint32(data[20:], 1)         // e_version
	order.PutUint64(data[32:], ehsize)    // e_phoff
	order.PutUint16(data[52:], ehsize)    // e_ehsize
	order.PutUint16(data[54:], phentsize) // e_phentsize
	order.PutUint16(data[56:], 1)         // e_phnum
	ph := data[ehsize:]
	order.PutUint32(ph[0:], 4) // PT_NOTE
	order.PutUint32(ph[4:], 4) // PF_R
	order.PutUint64(ph[8:], uint64(len(data)))
	order.PutUint64(ph[32:], uint64(len(body)))
	order.PutUint64(ph[40:], uint64(len(body)))
	order.PutUint64(ph[48:], 4)
	return concat(data, body, make([]byte, 16))
}
