export { applyEvent, resumeCommands, type Applied, type MachineContext } from './machine.js';
export { compileWorkflow, type CompiledWorkflow, type CompiledStep, type Edge } from './compiled.js';
export type { InstanceEvent, RestartPolicy, Initiator } from './events.js';
export type { InstanceCommand } from './commands.js';
export type { InstanceState, StepState, AttemptState, TimerState } from './state.js';
export { toInstanceView, toSummary } from './project.js';
export * from './view.js';
