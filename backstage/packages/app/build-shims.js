// Globals some browser libraries expect from Node (the cli's webpack provides the same ones).
import process from 'process/browser.js';
import { Buffer } from 'buffer/';
export { process, Buffer };
