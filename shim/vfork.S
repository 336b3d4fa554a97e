/* Entry point vfork (x86_64).
 *
 * A vfork child runs on its parent's memory, stack and thread-local storage,
 * but with a copy of its descriptor table: whatever the shim would record or
 * move there would be written into the parent's picture with numbers that
 * exist only in the child.  So the child gets a flag, set here before the
 * system call and cleared on the parent's side after it, and every
 * interposed call passes straight through while it is set.
 *
 * This cannot be C: the child returns from this function and goes on using
 * the stack below, which the parent's return then needs intact (glibc's own
 * vfork keeps the return address in a register for the same reason). */
	.text
	.globl	vfork
	.type	vfork, @function
vfork:
	.cfi_startproc
	subq	$8, %rsp		/* the C call needs a 16-byte aligned stack */
	.cfi_adjust_cfa_offset 8
	call	shim_before_vfork	/* inheritable sockets become shared */
	addq	$8, %rsp
	.cfi_adjust_cfa_offset -8
	movq	vfork_in_child@gottpoff(%rip), %rcx
	movl	$1, %fs:(%rcx)
	popq	%rdi			/* the return address, out of the child's way */
	.cfi_adjust_cfa_offset -8
	.cfi_register %rip, %rdi
	movl	$58, %eax		/* SYS_vfork */
	syscall
	pushq	%rdi
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rip, 0
	testl	%eax, %eax
	jz	1f			/* the child: flag set, returns 0 */
	movq	vfork_in_child@gottpoff(%rip), %rcx
	movl	$0, %fs:(%rcx)		/* the parent, after the child exec'd or exited */
	cmpq	$-4095, %rax
	jae	2f
1:	ret
2:	negl	%eax
	movl	%eax, %edi
	jmp	shim_vfork_failed	/* errno, and -1 */
	.cfi_endproc
	.size	vfork, .-vfork

	.section .note.GNU-stack, "", @progbits
