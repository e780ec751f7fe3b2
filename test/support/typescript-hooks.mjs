// Module resolution for running this project's TypeScript sources in a child process (a CLI or
// a server to SIGKILL in a crash test): sources import './x.js' (NodeNext style), which is
// './x.ts' before a build. Node 24 strips and transforms the types itself.
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (error) {
    const relative = specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('file:');
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !relative || !specifier.endsWith('.js')) throw error;
    return next(`${specifier.slice(0, -3)}.ts`, context);
  }
}
