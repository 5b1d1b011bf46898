// The "features" of an embedding space: the principal axes of the item embeddings (eigenvectors of their
// covariance), strongest first: the directions along which the catalogue varies. Centred, so that the
// mainstream (the mean item, which every item shares) is not itself a feature: content aimed at everyone then
// spreads over several features, content for a niche leans on one. Rotating users and content into this basis
// changes no score; it makes "a producer's share on its top feature" meaningful, where the raw coordinates of
// a factorisation are an arbitrary rotation.

/** Eigenvalues (descending) and eigenvectors (the columns of `vectors`, row-major [dim, dim]) of a symmetric matrix. */
export function symmetricEigen(matrix: Float64Array, dim: number): { values: Float64Array; vectors: Float64Array } {
  const a = matrix.slice();
  const v = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) v[i * dim + i] = 1;
  // Cyclic Jacobi rotations: quadratic convergence, exact enough for dim in the tens.
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < dim; p++) for (let q = p + 1; q < dim; q++) off += a[p * dim + q] ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < dim; p++) {
      for (let q = p + 1; q < dim; q++) {
        const apq = a[p * dim + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * dim + q] - a[p * dim + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < dim; k++) {
          const akp = a[k * dim + p];
          const akq = a[k * dim + q];
          a[k * dim + p] = c * akp - s * akq;
          a[k * dim + q] = s * akp + c * akq;
        }
        for (let k = 0; k < dim; k++) {
          const apk = a[p * dim + k];
          const aqk = a[q * dim + k];
          a[p * dim + k] = c * apk - s * aqk;
          a[q * dim + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < dim; k++) {
          const vkp = v[k * dim + p];
          const vkq = v[k * dim + q];
          v[k * dim + p] = c * vkp - s * vkq;
          v[k * dim + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: dim }, (_, i) => i).sort((x, y) => a[y * dim + y] - a[x * dim + x]);
  const values = Float64Array.from(order, (i) => a[i * dim + i]);
  const vectors = new Float64Array(dim * dim);
  order.forEach((from, to) => {
    for (let k = 0; k < dim; k++) vectors[k * dim + to] = v[k * dim + from];
  });
  return { values, vectors };
}

/**
 * The item embeddings' principal axes as a rotation [dim, dim] (column f is feature f), each axis signed so
 * that the mean user lies on its positive side.
 */
export function principalFeatures(items: Float32Array, users: Float32Array, dim: number): Float64Array {
  const mean = new Float64Array(dim);
  for (let o = 0; o < items.length; o += dim) for (let k = 0; k < dim; k++) mean[k] += items[o + k] / (items.length / dim);
  const moment = new Float64Array(dim * dim);
  for (let o = 0; o < items.length; o += dim) {
    for (let p = 0; p < dim; p++) for (let q = 0; q < dim; q++) moment[p * dim + q] += (items[o + p] - mean[p]) * (items[o + q] - mean[q]);
  }
  const { vectors } = symmetricEigen(moment, dim);
  const meanUser = new Float64Array(dim);
  for (let o = 0; o < users.length; o += dim) for (let k = 0; k < dim; k++) meanUser[k] += users[o + k];
  for (let f = 0; f < dim; f++) {
    let side = 0;
    for (let k = 0; k < dim; k++) side += vectors[k * dim + f] * meanUser[k];
    if (side < 0) for (let k = 0; k < dim; k++) vectors[k * dim + f] *= -1;
  }
  return vectors;
}

/** Rows of `rows` [n, dim] expressed in the basis (x' = Bᵀ x). */
export function rotateRows(rows: Float32Array, basis: Float64Array, dim: number): Float32Array {
  const out = new Float32Array(rows.length);
  for (let o = 0; o < rows.length; o += dim) {
    for (let f = 0; f < dim; f++) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += basis[k * dim + f] * rows[o + k];
      out[o + f] = s;
    }
  }
  return out;
}
