/** In the keeper container's tmpfs: only a process inside the container (an exec) reaches it. */
export const CONTROL_SOCKET = '/tmp/keeper.sock';
