export { type ProxyMode, startTcpProxy, type TcpProxy } from './tcp-proxy.ts';
