// Types for pack-lib.mjs, which the tests use to pack the packages as a release does.
export declare const root: string;
export declare function packMain(outDir: string): Promise<string>;
export declare function packPlatform(platform: string, binary: string, outDir: string): Promise<string>;
export declare function version(): string;
