export async function runClusterBench(_opts: { quick: boolean }): Promise<void> {
  console.log('cluster: bench not written yet');
}
