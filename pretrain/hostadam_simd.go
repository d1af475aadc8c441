//go:build goexperiment.simd

package pretrain

import "simd"

// adamWRange is adamWScalar on vectors (IEEE lane by lane: the same bits), the tail scalar.
func adamWRange(w, g, m, v []float32, s adamScalars) {
	b1, b2, c1, c2 := simd.BroadcastFloat32s(adamB1f), simd.BroadcastFloat32s(adamB2f), simd.BroadcastFloat32s(adamC1f), simd.BroadcastFloat32s(adamC2f)
	eps, scale := simd.BroadcastFloat32s(adamEpsf), simd.BroadcastFloat32s(s.scale)
	corr1, corr2 := simd.BroadcastFloat32s(s.corr1), simd.BroadcastFloat32s(s.corr2)
	lr, wd := simd.BroadcastFloat32s(s.lr), simd.BroadcastFloat32s(s.wd)
	n := b1.Len()
	i := 0
	for ; i+n <= len(w); i += n {
		gr := simd.LoadFloat32s(g[i:]).Mul(scale)
		mj := simd.LoadFloat32s(m[i:]).Mul(b1).Add(gr.Mul(c1))
		vj := simd.LoadFloat32s(v[i:]).Mul(b2).Add(gr.Mul(gr).Mul(c2))
		u := mj.Div(corr1).Div(vj.Div(corr2).Sqrt().Add(eps))
		wj := simd.LoadFloat32s(w[i:])
		if s.decays {
			u = u.Add(wj.Mul(wd))
		}
		mj.Store(m[i:])
		vj.Store(v[i:])
		wj.Sub(lr.Mul(u)).Store(w[i:])
	}
	adamWScalar(w[i:], g[i:], m[i:], v[i:], s)
}
