// Placeholder replaced by the foundation work (services for integration tests).
export default function setup(): void {}
