/**
 * A policy-free MCP server over a catalog and an executor, for tests of what the executor and
 * the MCP adapter do without policy, audit or approvals. Not part of keygate: every call of the
 * daemon goes through the call pipeline (`src/calls/`).
 */
import type { Server } from '@modelcontextprotocol/server';
import type { Catalog } from '../../src/catalog/index.js';
import { type Executor, Scrubber } from '../../src/executor/index.js';
import { createMcpServer, type ServerInfo, toolErrorResult, toolSuccessResult } from '../../src/mcp/index.js';

export interface ToolServerOptions extends ServerInfo {
  readonly catalog: Catalog;
  readonly executor: Executor;
}

/** A server that calls every tool of `catalog` directly, arguments validated as the pipeline does. */
export function createToolServer(options: ToolServerOptions): Server {
  return createMcpServer(
    {
      list: () => options.catalog.tools,
      call: async (name, args) => {
        const tool = options.catalog.find(name);
        if (!tool) return undefined;
        let scrubber = Scrubber.NONE;
        const onScrubber = (used: Scrubber) => {
          scrubber = used;
        };
        try {
          const valid = options.catalog.validate(tool, args);
          return toolSuccessResult(await options.executor.call(tool, valid, { onScrubber }), scrubber);
        } catch (error) {
          return toolErrorResult(error, scrubber);
        }
      },
    },
    options,
  );
}
