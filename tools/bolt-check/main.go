// Command bolt-check is Vigil's reference oracle for bbolt files: it uses the real go.etcd.io/bbolt (and
// Trivy's fixture loader) so that the TypeScript reader and writer in src/vulndb/bolt can be compared
// against the implementation Trivy itself runs.
//
//	bolt-check gen <path> <seed>       write a randomized database
//	bolt-check dump <path>             print every bucket and key/value as JSON lines (hex encoded)
//	bolt-check check <path>            run bbolt's consistency check (tx.Check)
//	bolt-check load <path> <yaml>...   build a database from bolt-fixtures YAML, as Trivy's tests do
package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"time"

	fixtures "github.com/aquasecurity/bolt-fixtures"
	bolt "go.etcd.io/bbolt"
)

func main() {
	if len(os.Args) < 3 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "gen":
		if len(os.Args) != 4 {
			usage()
		}
		var seed uint64
		seed, err = strconv.ParseUint(os.Args[3], 10, 64)
		if err == nil {
			err = gen(os.Args[2], seed)
		}
	case "dump":
		err = dump(os.Args[2])
	case "check":
		err = check(os.Args[2])
	case "load":
		err = load(os.Args[2], os.Args[3:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bolt-check %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: bolt-check gen <path> <seed> | dump <path> | check <path> | load <path> <yaml>...")
	os.Exit(2)
}

var openTimeout = &bolt.Options{Timeout: 10 * time.Second}

// generator holds the random source and a pool of key prefixes, so that prefix scans in the tests meet
// runs of keys sharing a prefix, as trivy-db's "npm::…" bucket names do.
type generator struct {
	rnd      *rand.Rand
	prefixes [][]byte
	pageSize int
}

func (g *generator) key() []byte {
	n := 1 + g.rnd.IntN(24)
	if g.rnd.IntN(8) == 0 {
		n = 100 + g.rnd.IntN(400) // long keys make branch pages split sooner
	}
	k := make([]byte, n)
	for i := range k {
		k[i] = byte(g.rnd.UintN(256))
	}
	if g.rnd.IntN(3) == 0 {
		p := g.prefixes[g.rnd.IntN(len(g.prefixes))]
		k = append(append([]byte{}, p...), k...)
	}
	return k
}

func (g *generator) value() []byte {
	var n int
	switch r := g.rnd.IntN(1000); {
	case r < 30:
		n = 0
	case r < 800:
		n = 1 + g.rnd.IntN(80)
	case r < 992:
		n = 80 + g.rnd.IntN(600)
	default:
		n = g.pageSize + g.rnd.IntN(2*g.pageSize) // spans several pages: overflow
	}
	v := make([]byte, n)
	for i := range v {
		v[i] = byte(g.rnd.UintN(256))
	}
	return v
}

// fill puts about `budget` keys into b, creating sub-buckets down to maxDepth. Small sub-buckets stay
// inline (bbolt decides that itself when it spills), big ones get their own pages.
func (g *generator) fill(b *bolt.Bucket, depth, budget int) error {
	if g.rnd.IntN(4) == 0 {
		b.FillPercent = 0.1 + g.rnd.Float64()*0.9
	}
	for i := 0; i < budget; i++ {
		if depth < 7 && g.rnd.IntN(40) == 0 {
			name := g.key()
			if b.Get(name) != nil {
				continue // a plain value already has this key
			}
			child, err := b.CreateBucketIfNotExists(name)
			if err != nil {
				return err
			}
			if g.rnd.IntN(3) == 0 {
				for range 1 + g.rnd.IntN(5) {
					if _, err := child.NextSequence(); err != nil {
						return err
					}
				}
			}
			sub := g.rnd.IntN(6) // mostly tiny buckets: these become inline buckets
			if g.rnd.IntN(5) == 0 {
				sub = g.rnd.IntN(budget/2 + 1)
			}
			if err := g.fill(child, depth+1, sub); err != nil {
				return err
			}
			i += sub
			continue
		}
		k := g.key()
		if b.Bucket(k) != nil {
			continue
		}
		if err := b.Put(k, g.value()); err != nil {
			return err
		}
	}
	return nil
}

// gen writes a randomized database in several transactions, including deletions, so the file has a
// non-empty freelist, two different meta pages and a txid well above 1.
func gen(path string, seed uint64) error {
	g := &generator{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	for range 12 {
		p := make([]byte, 1+g.rnd.IntN(6))
		for i := range p {
			p[i] = byte(g.rnd.UintN(256))
		}
		g.prefixes = append(g.prefixes, p)
	}
	pageSizes := []int{4096, 4096, 8192, 16384, 1024}
	g.pageSize = pageSizes[seed%uint64(len(pageSizes))]
	opts := &bolt.Options{Timeout: 10 * time.Second, PageSize: g.pageSize}
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return err
	}
	db, err := bolt.Open(path, 0o600, opts)
	if err != nil {
		return err
	}
	defer db.Close()

	var names [][]byte
	for round := range 6 {
		err := db.Update(func(tx *bolt.Tx) error {
			for range 2 + g.rnd.IntN(3) {
				name := g.key()
				if round%3 == 0 || len(names) == 0 {
					names = append(names, name)
				} else {
					name = names[g.rnd.IntN(len(names))]
				}
				b, err := tx.CreateBucketIfNotExists(name)
				if err != nil {
					return err
				}
				if err := g.fill(b, 1, 150+g.rnd.IntN(900)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := db.Update(func(tx *bolt.Tx) error { return g.churn(tx) }); err != nil {
			return err
		}
	}
	return nil
}

// churn deletes and overwrites some keys and occasionally a whole bucket, leaving freed pages behind.
func (g *generator) churn(tx *bolt.Tx) error {
	var tops [][]byte
	if err := tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
		tops = append(tops, append([]byte{}, name...))
		return nil
	}); err != nil {
		return err
	}
	for _, name := range tops {
		b := tx.Bucket(name)
		var victims [][]byte
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if v != nil && g.rnd.IntN(10) == 0 {
				victims = append(victims, append([]byte{}, k...))
			}
		}
		for i, k := range victims {
			var err error
			if i%2 == 0 {
				err = b.Delete(k)
			} else {
				err = b.Put(k, g.value())
			}
			if err != nil {
				return err
			}
		}
	}
	if len(tops) > 4 && g.rnd.IntN(3) == 0 {
		return tx.DeleteBucket(tops[g.rnd.IntN(len(tops))])
	}
	return nil
}

type header struct {
	PageSize int    `json:"pageSize"`
	Txid     int    `json:"txid"`
	Size     int64  `json:"size"`
	Kind     string `json:"kind"`
}

type line struct {
	Path   []string `json:"path"`
	Key    string   `json:"key"`
	Value  *string  `json:"value,omitempty"`
	Bucket bool     `json:"bucket,omitempty"`
	Seq    *uint64  `json:"seq,omitempty"`
}

// dump prints a header line, then every entry depth-first in key order: a bucket's own line comes
// before the lines of its contents.
func dump(path string) error {
	db, err := bolt.Open(path, 0o400, &bolt.Options{ReadOnly: true, Timeout: 10 * time.Second})
	if err != nil {
		return err
	}
	defer db.Close()
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	return db.View(func(tx *bolt.Tx) error {
		if err := enc.Encode(header{PageSize: tx.DB().Info().PageSize, Txid: tx.ID(), Size: tx.Size(), Kind: "meta"}); err != nil {
			return err
		}
		var walk func(b *bolt.Bucket, path []string) error
		walk = func(b *bolt.Bucket, path []string) error {
			c := b.Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				l := line{Path: path, Key: hex.EncodeToString(k)}
				if v == nil {
					if child := b.Bucket(k); child != nil {
						seq := child.Sequence()
						l.Bucket, l.Seq = true, &seq
						if err := enc.Encode(l); err != nil {
							return err
						}
						if err := walk(child, append(append([]string{}, path...), l.Key)); err != nil {
							return err
						}
						continue
					}
				}
				s := hex.EncodeToString(v)
				l.Value = &s
				if err := enc.Encode(l); err != nil {
					return err
				}
			}
			return nil
		}
		// The root bucket only holds buckets; Tx.Cursor exposes it like any other bucket.
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			seq := b.Sequence()
			l := line{Path: []string{}, Key: hex.EncodeToString(name), Bucket: true, Seq: &seq}
			if err := enc.Encode(l); err != nil {
				return err
			}
			return walk(b, []string{l.Key})
		})
	})
}

// check opens the file read-write (so the freelist page is loaded as bbolt does for Trivy's fixture
// loader) and reports every inconsistency tx.Check finds.
func check(path string) error {
	db, err := bolt.Open(path, 0o600, openTimeout)
	if err != nil {
		return err
	}
	defer db.Close()
	n := 0
	err = db.View(func(tx *bolt.Tx) error {
		for e := range tx.Check() {
			fmt.Fprintln(os.Stderr, e)
			n++
		}
		return nil
	})
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%d consistency errors", n)
	}
	fmt.Println("ok")
	return nil
}

func load(path string, files []string) error {
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return err
	}
	l, err := fixtures.New(path, files)
	if err != nil {
		return err
	}
	if err := l.Load(); err != nil {
		l.Close()
		return err
	}
	return l.Close()
}
