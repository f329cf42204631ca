// The Cluster service's public surface.
export { createClusterService } from "./cluster-service.ts";
