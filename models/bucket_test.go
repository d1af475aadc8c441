package models

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Shape buckets: at least n, non-decreasing, less than 20 % padding above 16, few of them.
func TestBucketLen(t *testing.T) {
	seen := map[int]bool{}
	prev := 0
	for n := 1; n <= 1024; n++ {
		b := BucketLen(n)
		require.GreaterOrEqual(t, b, n)
		require.GreaterOrEqual(t, b, prev)
		require.Equal(t, b, BucketLen(b), "a bucket is its own bucket")
		if n > 16 {
			require.Less(t, float64(b-n)/float64(b), 0.2, "n %d bucket %d", n, b)
		}
		seen[b] = true
		prev = b
	}
	require.Len(t, seen, 29)
	require.LessOrEqual(t, len(seen), maxGraphs)
	require.Equal(t, []int{20, 24, 28, 32, 40, 128, 160, 1024, 1280}, []int{BucketLen(17), BucketLen(21), BucketLen(28),
		BucketLen(29), BucketLen(33), BucketLen(128), BucketLen(129), BucketLen(1000), BucketLen(1025)})
}
