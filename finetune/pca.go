package finetune

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// PCA is a principal-component projection fitted on rows of features: the features of the "probe
// on PCA states" baseline, reduced to the SAE's number of latents.
type PCA struct {
	// Mean is the mean row, subtracted before projecting: [dim].
	Mean []float64 `json:"mean"`
	// Components holds the principal axes, unit length, by decreasing variance: [dims][dim]. The
	// sign of each axis is fixed so that its largest-magnitude coordinate is positive.
	Components [][]float64 `json:"components"`
	// Variance is the variance of the rows along each axis (the covariance's eigenvalues).
	Variance []float64 `json:"variance"`
}

// FitPCA centres the rows and keeps the dims directions of largest variance: the top
// eigenvectors of the covariance matrix (gonum's symmetric eigendecomposition, in float64). It
// costs O(rows·dim²) for the covariance and O(dim³) for the decomposition.
func FitPCA(rows [][]float32, dims int) (*PCA, error) {
	if len(rows) < 2 {
		return nil, errors.New("finetune: PCA needs at least 2 rows")
	}
	d := len(rows[0])
	if dims <= 0 || dims > d {
		return nil, fmt.Errorf("finetune: PCA dims must be in [1, %d], got %d", d, dims)
	}
	mean := make([]float64, d)
	for i, r := range rows {
		if len(r) != d {
			return nil, fmt.Errorf("finetune: PCA row %d has %d values, want %d", i, len(r), d)
		}
		for j, v := range r {
			mean[j] += float64(v)
		}
	}
	for j := range mean {
		mean[j] /= float64(len(rows))
	}
	// Covariance as Xcᵀ·Xc / (n−1), accumulated over blocks of rows to bound memory.
	cov := mat.NewSymDense(d, nil)
	const block = 1024
	for lo := 0; lo < len(rows); lo += block {
		hi := min(lo+block, len(rows))
		xc := mat.NewDense(hi-lo, d, nil)
		for i := lo; i < hi; i++ {
			for j, v := range rows[i] {
				xc.Set(i-lo, j, float64(v)-mean[j])
			}
		}
		cov.SymRankK(cov, 1, xc.T())
	}
	cov.ScaleSym(1/float64(len(rows)-1), cov)
	var eig mat.EigenSym
	if !eig.Factorize(cov, true) {
		return nil, errors.New("finetune: PCA eigendecomposition did not converge")
	}
	vals := eig.Values(nil) // ascending
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	p := &PCA{Mean: mean}
	for k := range dims {
		col := d - 1 - k
		c := make([]float64, d)
		big := 0
		for j := range d {
			c[j] = vecs.At(j, col)
			if math.Abs(c[j]) > math.Abs(c[big]) {
				big = j
			}
		}
		if c[big] < 0 {
			for j := range c {
				c[j] = -c[j]
			}
		}
		p.Components = append(p.Components, c)
		p.Variance = append(p.Variance, math.Max(vals[col], 0))
	}
	return p, nil
}

// Transform projects one row onto the principal axes: [dim] → [dims].
func (p *PCA) Transform(x []float32) []float32 {
	out := make([]float32, len(p.Components))
	for k, c := range p.Components {
		s := 0.0
		for j, w := range c {
			s += w * (float64(x[j]) - p.Mean[j])
		}
		out[k] = float32(s)
	}
	return out
}

// TransformAll projects every row.
func (p *PCA) TransformAll(rows [][]float32) [][]float32 {
	out := make([][]float32, len(rows))
	for i, r := range rows {
		out[i] = p.Transform(r)
	}
	return out
}
