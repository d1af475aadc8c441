//go:build !linux

package atomicfile

// exchange cannot swap two paths in one step here.
func exchange(a, b string) error { return errNoExchange }
