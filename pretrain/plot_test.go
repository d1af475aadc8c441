package pretrain

import (
	"bytes"
	"image/png"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// Metrics constant by design (L0 = k, no dead latents) get no panel: the figure has one row
// less, and a note panel names them.
func TestCurvesDropFlatPanels(t *testing.T) {
	var rows []MetricsRow
	for i := range 10 {
		rows = append(rows, MetricsRow{Step: 50 * (i + 1), FVU: 1 / float64(i+1), L0: 32, PairDistance: 0.3 + 0.01*float64(i%3)})
	}
	v, ok := constant(rows, func(r MetricsRow) float64 { return r.L0 })
	require.True(t, ok)
	require.Equal(t, 32.0, v)
	_, ok = constant(rows, func(r MetricsRow) float64 { return r.FVU })
	require.False(t, ok)

	img, err := curvesPNG(rows)
	require.NoError(t, err)
	cfg, err := png.DecodeConfig(bytes.NewReader(img))
	require.NoError(t, err)
	// FVU and pair distance drawn, four constant metrics in the note: 3 panels, 2 rows (6 panels
	// in 3 rows before).
	require.Equal(t, cfg.Width*2/3, cfg.Height, "two rows of panels")
	if dir := os.Getenv("PTTRUST_PLOT_DIR"); dir != "" {
		require.NoError(t, os.WriteFile(dir+"/curves.png", img, 0o644))
	}

	_, err = curvesPNG(nil)
	require.NoError(t, err, "no rows: empty panels, no error")
}
