// Types for targets.mjs.
export declare const TARGETS: Record<string, { rust: string; glibc?: string; file: string; cflags?: string }>;
export declare function zigTarget(platform: string): string;
