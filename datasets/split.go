package datasets

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// Split names the part of the corpus a file belongs to.
type Split string

// The three splits.
const (
	Train      Split = "train"
	Validation Split = "validation"
	Test       Split = "test"
)

// Splits lists the splits in report order.
var Splits = []Split{Train, Validation, Test}

// ParseSplit returns the Split named s.
func ParseSplit(s string) (Split, error) {
	for _, k := range Splits {
		if Split(s) == k {
			return k, nil
		}
	}
	return "", fmt.Errorf("datasets: unknown split %q (known: %v)", s, Splits)
}

// SplitOf assigns a stable path (File.Path: language, root prefix and path relative to the root,
// e.g. "go:src/net/http/server.go") to a split. The first 8 bytes of SHA-256(path), read
// big-endian, give u uniform in [0, 1): u < testFrac is Test, u < testFrac+valFrac is Validation,
// the rest Train. SHA-256 rather than FNV because nearby paths (a_test.go, b_test.go) must not
// land in correlated buckets. The split depends on nothing but the path and the fractions, so the
// same file lands in the same split on every machine and in every run, and growing valFrac only
// moves files from Train to Validation (Test is untouched).
func SplitOf(path string, valFrac, testFrac float64) Split {
	u := unitHash(path)
	switch {
	case u < testFrac:
		return Test
	case u < testFrac+valFrac:
		return Validation
	default:
		return Train
	}
}

// unitHash maps s to [0, 1) through SHA-256.
func unitHash(s string) float64 {
	sum := sha256.Sum256([]byte(s))
	// 53 bits: exactly representable as a float64 mantissa.
	return float64(binary.BigEndian.Uint64(sum[:8])>>11) / (1 << 53)
}
