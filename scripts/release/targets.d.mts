// Types for targets.mjs.
export declare const TARGETS: Record<string, { rust: string; glibc?: string; file: string }>;
export declare function zigTarget(platform: string): string;
