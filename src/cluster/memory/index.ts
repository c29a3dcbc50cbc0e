export { MemoryCluster } from './memory-cluster.js';
export { MemoryClusterNode } from './memory-node.js';
