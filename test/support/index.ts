export * from './built-apps';
export * from './control-plane';
export * from './continuous-writer';
export * from './registered-server';
export * from './log-lines';
