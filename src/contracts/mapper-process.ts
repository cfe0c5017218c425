/**
 * Node flags Edged starts every mapper process with (`node <flags> kedge mapper ...`). V8 reads
 * these only when the process starts, so a mapper cannot set them on itself (the flags it does set
 * on itself are in src/cli/mapper-main.ts).
 *
 * `--no-concurrent-recompilation`: V8's optimizing compiles run on the main thread instead of its
 * worker threads. A mapper compiles in its first minute and little after, and what the worker
 * threads' compiles took stayed resident: peak RSS 70 MB instead of 74 at 10,000 readings/s, with
 * no more CPU (bench/RESULTS.md "Modbus").
 */
export const MAPPER_NODE_FLAGS: readonly string[] = ['--no-concurrent-recompilation'];
