export * from './built-apps';
export * from './control-plane';
